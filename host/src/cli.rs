//! Command-line syntax (clap derive) and the small parsers for its values.

use crate::wav_out::SampleFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Render audio through mixgraph node graphs, list node types, check graph files.
#[derive(Debug, Parser)]
#[command(name = "mixgraph", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render audio files through a graph file to a WAV file.
    Render(RenderArgs),
    /// List node types, or describe one.
    Nodes(NodesArgs),
    /// Check graph files: load, compile and prepare each at 48 kHz / 512 frames.
    Validate(ValidateArgs),
    /// Synthesize a demo song as four stems and mix them through a graph.
    Demo(DemoArgs),
    /// Measure audio files: loudness, peaks, stereo image, spectral balance,
    /// energy and waveform peaks (cached by file content).
    Analyze(AnalyzeArgs),
    /// Master a finished track: a mastering preset, then render, measure and
    /// adjust until the loudness and peak targets are met.
    Master(MasterArgs),
    /// Mix stems automatically (roles, balance, EQ, compression, ducking,
    /// bus) and master the result, with the same loop as `master`.
    Mix(MixArgs),
}

/// Options of `mixgraph render`.
#[derive(Debug, Args)]
#[command(after_help = "The written file is time-aligned with the inputs: the graph's latency is \
    trimmed from its start. Its length is the longest input (or file-player material) plus the \
    graph's tail; when the tail is unknown (feedback loops) it is at most --tail seconds and ends \
    early once the output has stayed below -120 dBFS for 0.5 s.")]
pub struct RenderArgs {
    /// Graph file (JSON, format mixgraph/1).
    #[arg(long, short = 'g', value_name = "FILE")]
    pub graph: PathBuf,
    /// Audio file for a graph input, as NAME=PATH; a bare PATH feeds the input `in`.
    #[arg(long = "in", short = 'i', value_name = "NAME=PATH", value_parser = parse_input)]
    pub inputs: Vec<InputSpec>,
    /// WAV file to write (through a temporary file, renamed when complete).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub out: PathBuf,
    /// Set a parameter before rendering, as node.param=VALUE (repeatable).
    #[arg(long = "set", short = 's', value_name = "NODE.PARAM=VALUE", value_parser = parse_set)]
    pub sets: Vec<ParamSet>,
    /// Graph output to write (default: `out`, or the only output).
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// Render sample rate in Hz (default: the first input file's rate, else 48000).
    #[arg(long, value_name = "HZ", value_parser = clap::value_parser!(u32).range(8_000..=768_000))]
    pub sample_rate: Option<u32>,
    /// Frames per processing block.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub block_size: u32,
    /// Output sample format: wav16 (TPDF-dithered), wav24 or wav32f.
    #[arg(long, value_name = "FORMAT", default_value = "wav24")]
    pub format: SampleFormat,
    /// Longest tail after the inputs end when the graph's tail is unknown, in seconds.
    #[arg(long = "tail", value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_seconds)]
    pub tail_seconds: f64,
    /// Length of material to render instead of the longest input or file-player
    /// content, in seconds (needed when a file player loops); the tail follows.
    #[arg(long = "duration", value_name = "SECONDS", value_parser = parse_seconds)]
    pub duration_seconds: Option<f64>,
}

/// Options of `mixgraph nodes`.
#[derive(Debug, Args)]
pub struct NodesArgs {
    /// Describe this node type (config, ports, parameters) instead of listing all.
    #[arg(value_name = "TYPE")]
    pub type_id: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `mixgraph validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Graph files to check.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// Options of `mixgraph analyze`.
#[derive(Debug, Args)]
#[command(after_help = "Results are cached by the SHA-256 of each file's bytes in --cache-dir, else \
    $MIXGRAPH_CACHE_DIR, else $XDG_CACHE_HOME/mixgraph/analysis, else ~/.cache/mixgraph/analysis: \
    analysing an unchanged file again is instant.")]
pub struct AnalyzeArgs {
    /// Audio files to analyse (WAV, FLAC, MP3, OGG, AAC ...).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON (an array with one object per file) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Directory of the analysis cache.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// The files are stems of one song: also report each one's role (from
    /// its name, else its sound) and where they mask each other. With
    /// --json the output becomes {"files": [...], "between": {"roles",
    /// "masking"}}.
    #[arg(long)]
    pub stems: bool,
    /// Lower end of the tempo octave: tempos are reported within
    /// [BPM, 2×BPM) (halftime and double time are the same beat; 88 keeps
    /// hip-hop to drum and bass at the tempo DJs count).
    #[arg(long, value_name = "BPM", default_value_t = mixgraph_analysis::DEFAULT_MIN_BPM, value_parser = parse_min_bpm)]
    pub min_bpm: f64,
}

/// Parses `--min-bpm`, within [`mixgraph_analysis::MIN_BPM_LIMITS`].
fn parse_min_bpm(text: &str) -> Result<f64, String> {
    let bpm: f64 = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
    let limits = mixgraph_analysis::MIN_BPM_LIMITS;
    if limits.contains(&bpm) {
        Ok(bpm)
    } else {
        Err(format!("{bpm} is outside {}..={} BPM", limits.start(), limits.end()))
    }
}

/// Options of `mixgraph master`.
#[derive(Debug, Args)]
#[command(after_help = "The job renders the preset, measures the result independently (EBU R128 \
    integrated loudness, 4x true peak, clipped samples, stereo correlation) and adjusts a trim gain \
    ('qc_trim') before the final limiter (and the limiter's ceiling, if the true peak is over) until the loudness is within \
    0.5 LU of the target, or says which target it missed after the last pass. Presets: pop, \
    hiphop, rock, electro_house, streaming, or a graph file with an input 'in', an output 'out' \
    and a dynamics.limiter feeding 'out'.")]
pub struct MasterArgs {
    /// The track to master (WAV, FLAC, MP3, OGG, AAC ...).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Options shared with `mix`.
    #[command(flatten)]
    pub job: JobArgs,
}

/// Options of `mixgraph mix`.
#[derive(Debug, Args)]
#[command(after_help = "Each stem's role comes from its file name (lead, vox, dbl, bgv, adlib, beat, \
    drums, kick, snare, hh, perc, bass, 808, keys, gtr, pad, synth, strings, fx ...), else from its \
    sound. Stems at other sample rates are resampled to the first stem's rate; shorter stems are \
    padded with silence; silent stems are reported and left out. Then as `mixgraph master`: the \
    mastering preset's final limiter is adjusted until the targets are met.")]
pub struct MixArgs {
    /// The stems (WAV, FLAC, MP3, OGG, AAC ...).
    #[arg(value_name = "STEM", required = true)]
    pub stems: Vec<PathBuf>,
    /// Options shared with `master`.
    #[command(flatten)]
    pub job: JobArgs,
}

/// Output, targets and extras of the `master` and `mix` jobs.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// WAV file to write (through a temporary file, renamed when complete).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// Mastering preset name, or a graph file.
    #[arg(long, value_name = "NAME", default_value = "streaming")]
    pub preset: String,
    /// Integrated loudness to reach, LUFS (default: the preset's target).
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true, value_parser = parse_target_lufs)]
    pub target_lufs: Option<f64>,
    /// Highest true peak, dBTP (default: the preset's).
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true, value_parser = parse_ceiling)]
    pub ceiling: Option<f64>,
    /// A finished track to sound like: its loudness becomes the target
    /// (unless --target-lufs), and its tonal balance (mid and side) and
    /// width are matched by EQ and width nodes before the mastering chain.
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
    /// Also write the graph that made the output (with the job's
    /// adjustments), loadable by `mixgraph render`.
    #[arg(long, value_name = "FILE")]
    pub save_graph: Option<PathBuf>,
    /// Directory for the report (report.json with the measurements and
    /// every pass).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Output sample format: wav16 (dithered), wav24 or wav32f.
    #[arg(long, value_name = "FORMAT", default_value = "wav24")]
    pub format: SampleFormat,
    /// Most render passes before giving up on a target.
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub passes: u32,
}

/// Parses `--target-lufs`: −40 to −3 LUFS.
fn parse_target_lufs(text: &str) -> Result<f64, String> {
    parse_in_range(text, -40.0, -3.0, "LUFS")
}

/// Parses `--ceiling`: −12 to 0 dBTP.
fn parse_ceiling(text: &str) -> Result<f64, String> {
    parse_in_range(text, -12.0, 0.0, "dBTP")
}

/// A number within `low..=high`.
fn parse_in_range(text: &str, low: f64, high: f64, unit: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
    if (low..=high).contains(&value) { Ok(value) } else { Err(format!("{value} is outside {low}..={high} {unit}")) }
}

/// Options of `mixgraph demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory to write `stems/*.wav` and `demo_mix.wav` into (created if missing).
    #[arg(long, short = 'o', value_name = "DIR", default_value = "mixgraph-demo")]
    pub out: PathBuf,
    /// Sample rate of the stems and the mix, in Hz.
    #[arg(long, value_name = "HZ", default_value_t = 48_000, value_parser = clap::value_parser!(u32).range(8_000..=768_000))]
    pub sample_rate: u32,
    /// Mix graph to use instead of the built-in presets/mix/demo_mix.json (inputs
    /// drums, bass, chords, lead; output out).
    #[arg(long, short = 'g', value_name = "FILE")]
    pub graph: Option<PathBuf>,
}

/// One `--in`: which graph input gets which file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSpec {
    /// Graph input name (the io.input node's id).
    pub name: String,
    /// Audio file.
    pub path: PathBuf,
}

/// One `--set`: a parameter address and its value as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSet {
    /// `node.param`.
    pub address: String,
    /// The value as typed: a number, true/false or an enum variant name.
    pub value: String,
}

/// The input name a bare `--in PATH` feeds.
pub const MAIN_INPUT: &str = "in";

/// Parses `NAME=PATH` or a bare `PATH` (meaning the input `in`).
///
/// A prefix before `=` counts as a name only if it looks like a node id
/// (letters, digits, `_`, `-`), so `--in ./a=b.wav` is still a path.
///
/// # Errors
/// For an empty name or path.
pub fn parse_input(text: &str) -> Result<InputSpec, String> {
    let (name, path) = match text.split_once('=') {
        Some((name, path)) if is_id(name) => (name, path),
        Some(("", _)) => return Err("empty input name before '=': use NAME=PATH".to_string()),
        _ => (MAIN_INPUT, text),
    };
    if path.is_empty() {
        return Err(format!("no path after '{name}=': use NAME=PATH"));
    }
    Ok(InputSpec { name: name.to_string(), path: PathBuf::from(path) })
}

/// Parses `node.param=VALUE`.
///
/// # Errors
/// When there is no `=`, or the address is not `node.param`.
pub fn parse_set(text: &str) -> Result<ParamSet, String> {
    let (address, value) =
        text.split_once('=').ok_or_else(|| format!("'{text}' is not node.param=VALUE (missing '=')"))?;
    let address = address.trim();
    let value = value.trim();
    match address.split_once('.') {
        Some((node, param)) if !node.is_empty() && !param.is_empty() => {}
        _ => return Err(format!("'{address}' is not a parameter address: use node.param=VALUE")),
    }
    if value.is_empty() {
        return Err(format!("no value after '{address}='"));
    }
    Ok(ParamSet { address: address.to_string(), value: value.to_string() })
}

/// Parses a non-negative, finite number of seconds.
///
/// # Errors
/// For anything else.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=3600.0).contains(&s) => Ok(s),
        _ => Err(format!("'{text}' is not a number of seconds from 0 to 3600")),
    }
}

fn is_id(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn input_with_and_without_name() {
        assert_eq!(
            parse_input("drums=stems/drums.wav"),
            Ok(InputSpec { name: "drums".into(), path: "stems/drums.wav".into() })
        );
        assert_eq!(parse_input("song.wav"), Ok(InputSpec { name: "in".into(), path: "song.wav".into() }));
        // A prefix that is not an id is part of the path.
        assert_eq!(parse_input("./a=b.wav"), Ok(InputSpec { name: "in".into(), path: "./a=b.wav".into() }));
        assert_eq!(parse_input("my take=1.wav").unwrap().name, "in");
        assert!(parse_input("=x.wav").is_err());
        assert!(parse_input("drums=").is_err());
    }

    #[test]
    fn set_needs_address_and_value() {
        assert_eq!(parse_set("trim.gain_db=-6"), Ok(ParamSet { address: "trim.gain_db".into(), value: "-6".into() }));
        assert_eq!(parse_set(" eq.kind = peak ").unwrap().value, "peak");
        assert!(parse_set("trim.gain_db").is_err());
        assert!(parse_set("trim=3").is_err());
        assert!(parse_set(".gain=3").is_err());
        assert!(parse_set("trim.gain_db=").is_err());
    }

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(parse_seconds("2.5"), Ok(2.5));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("nan").is_err());
        assert!(parse_seconds("1e9").is_err());
    }

    #[test]
    fn render_arguments_parse() {
        let cli = Cli::try_parse_from([
            "mixgraph",
            "render",
            "--graph",
            "g.json",
            "--in",
            "a.wav",
            "--in",
            "side=b.flac",
            "--out",
            "o.wav",
            "--set",
            "trim.gain_db=-3",
            "--format",
            "wav32f",
            "--block-size",
            "64",
        ])
        .unwrap();
        let Command::Render(args) = cli.command else { panic!("not render") };
        assert_eq!(args.inputs.len(), 2);
        assert_eq!(args.inputs[1].name, "side");
        assert_eq!(args.block_size, 64);
        assert_eq!(args.format, SampleFormat::Wav32F);
        assert_eq!(args.tail_seconds, 5.0);
        assert!(
            Cli::try_parse_from(["mixgraph", "render", "--graph", "g", "--out", "o", "--block-size", "0"]).is_err()
        );
    }
}
