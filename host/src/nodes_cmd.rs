//! `mixgraph nodes`: the node types of the registry, as a table or JSON, and
//! one type's config fields, ports and parameters.

use crate::cli::NodesArgs;
use anyhow::{Result, bail};
use mixgraph_graph::{NodeInfo, NodeRegistry, NodeType, ParamDesc, ParamRange, PortDesc, PortKind, Smoothing};
use serde_json::{Value, json};
use std::io::Write;

/// Runs `mixgraph nodes`.
///
/// # Errors
/// For an unknown type id (listing the known ones) or a failed write to stdout.
pub fn run(args: NodesArgs) -> Result<()> {
    let registry = mixgraph_nodes::registry();
    let mut out = std::io::stdout().lock();
    match args.type_id {
        None if args.json => {
            let all: Vec<Value> = registry.types().map(type_json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
        None => write_table(&mut out, &registry)?,
        Some(id) => {
            let Some(node_type) = registry.get(&id) else {
                let known: Vec<&str> = registry.types().map(|t| t.type_id).collect();
                bail!("unknown node type '{id}' (known types: {})", known.join(", "));
            };
            if args.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&type_json(node_type))?)?;
            } else {
                write_type(&mut out, node_type)?;
            }
        }
    }
    Ok(())
}

/// One type as JSON: id, family, description, config fields, and the ports
/// and parameters of its default config (`info_error` if that does not build).
fn type_json(t: &NodeType) -> Value {
    let config: Vec<Value> =
        t.config.iter().map(|f| json!({"name": f.name, "description": f.description, "default": f.default})).collect();
    let mut value = json!({
        "type_id": t.type_id,
        "family": t.family,
        "description": t.description,
        "config": config,
    });
    match t.default_info() {
        Ok(info) => {
            if let (Some(map), Ok(Value::Object(info))) = (value.as_object_mut(), serde_json::to_value(&info)) {
                for key in ["role", "inputs", "outputs", "params"] {
                    if let Some(v) = info.get(key) {
                        map.insert(key.to_string(), v.clone());
                    }
                }
            }
        }
        Err(e) => value["info_error"] = Value::from(e.to_string()),
    }
    value
}

/// `TYPE  FAMILY  DESCRIPTION`, one row per type, sorted by id.
fn write_table(out: &mut dyn Write, registry: &NodeRegistry) -> std::io::Result<()> {
    let rows: Vec<[&str; 3]> = registry.types().map(|t| [t.type_id, t.family, t.description]).collect();
    let id_width = rows.iter().map(|r| r[0].len()).max().unwrap_or(0).max(4);
    let family_width = rows.iter().map(|r| r[1].len()).max().unwrap_or(0).max(6);
    writeln!(out, "{:id_width$}  {:family_width$}  DESCRIPTION", "TYPE", "FAMILY")?;
    for [id, family, description] in rows {
        writeln!(out, "{id:id_width$}  {family:family_width$}  {description}")?;
    }
    writeln!(out, "\n`mixgraph nodes TYPE` shows a type's config, ports and parameters.")
}

/// Config fields, ports and parameters of one type.
fn write_type(out: &mut dyn Write, t: &NodeType) -> std::io::Result<()> {
    writeln!(out, "{} ({})\n  {}", t.type_id, t.family, t.description)?;
    writeln!(out, "\nconfig:")?;
    if t.config.is_empty() {
        writeln!(out, "  (none)")?;
    }
    let width = t.config.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in t.config {
        let default = if f.default.is_empty() { String::new() } else { format!(" (default {})", f.default) };
        writeln!(out, "  {:width$}  {}{default}", f.name, f.description)?;
    }
    match t.default_info() {
        Ok(info) => write_info(out, &info),
        Err(e) => writeln!(out, "\nports and parameters depend on the config: the default config does not build ({e})"),
    }
}

fn write_info(out: &mut dyn Write, info: &NodeInfo) -> std::io::Result<()> {
    for (title, ports) in [("inputs", &info.inputs), ("outputs", &info.outputs)] {
        writeln!(out, "\n{title}:")?;
        if ports.is_empty() {
            writeln!(out, "  (none)")?;
        }
        let width = ports.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for port in ports {
            writeln!(out, "  {:width$}  {}", port.name, port_kind(port))?;
        }
    }
    writeln!(out, "\nparams:")?;
    if info.params.is_empty() {
        writeln!(out, "  (none)")?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = info.params.iter().map(param_row).collect();
    let header = ["ID", "RANGE", "DEFAULT", "SMOOTHING", ""].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row.iter().zip(widths).map(|(cell, w)| format!("{cell:w$}")).collect();
        writeln!(out, "  {}", line.join("  ").trim_end())?;
    }
    Ok(())
}

fn port_kind(port: &PortDesc) -> String {
    match port.kind {
        PortKind::Audio { channels: 1 } => "audio, 1 channel".to_string(),
        PortKind::Audio { channels } => format!("audio, {channels} channels"),
        PortKind::Events => "events".to_string(),
    }
}

/// `[id, range, default, smoothing, flags]` for the parameter table.
fn param_row(p: &ParamDesc) -> [String; 5] {
    let mut range = p.range.describe(p.unit);
    if matches!(p.range, ParamRange::Float { log: true, .. }) {
        range.push_str(" (log)");
    }
    let smoothing = match p.smoothing {
        Smoothing::None => "none".to_string(),
        Smoothing::Linear { ms } => format!("linear {ms} ms"),
        Smoothing::Logarithmic { ms } => format!("logarithmic {ms} ms"),
        Smoothing::Exponential { ms } => format!("exponential {ms} ms"),
    };
    let flags = if p.structural { "structural" } else { "" };
    [p.id.clone(), range, p.format_value(p.default), smoothing, flags.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_registered_type() {
        let registry = mixgraph_nodes::registry();
        let mut text = Vec::new();
        write_table(&mut text, &registry).unwrap();
        let text = String::from_utf8(text).unwrap();
        for t in registry.types() {
            assert!(text.lines().any(|l| l.starts_with(&format!("{} ", t.type_id))), "{} missing", t.type_id);
        }
    }

    #[test]
    fn describing_a_type_shows_ports_and_param_ranges() {
        let registry = mixgraph_nodes::registry();
        let gain = registry.get("util.gain").expect("util.gain is registered");
        let mut text = Vec::new();
        write_type(&mut text, gain).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("channels"), "{text}");
        assert!(text.contains("audio, 2 channels"), "{text}");
        assert!(text.contains("gain_db") && text.contains("-96 to 24 dB") && text.contains("0 dB"), "{text}");
        let json = type_json(gain);
        assert_eq!(json["params"][0]["id"], "gain_db");
        assert_eq!(json["inputs"][0], serde_json::json!({"name": "in", "kind": "audio", "channels": 2}));
    }
}
