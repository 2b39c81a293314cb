//! `mixgraph analyze --stems`: what each file is in the mix (its role) and
//! where the files compete for the same critical bands (masking).

use anyhow::Result;
use mixgraph_analysis::masking::{BandLevels, MaskingPair, band_levels, masking};
use mixgraph_analysis::{Analysis, RoleGuess, RoleSource, detect_role};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Roles and masking of a set of stems.
#[derive(serde::Serialize)]
pub struct StemsReport {
    /// Per file, in the order given.
    pub roles: Vec<RoleGuess>,
    /// Every pair of files, most competing first (indices into the files).
    pub masking: Vec<MaskingPair>,
}

/// Roles from the names (else the analyses) and masking from the decoded
/// audio of `files`.
pub fn between(files: &[PathBuf], analyses: &[&Analysis]) -> Result<StemsReport> {
    let roles = files.iter().zip(analyses).map(|(f, a)| detect_role(&f.display().to_string(), a)).collect();
    let mut levels: Vec<BandLevels> = Vec::new();
    for file in files {
        let audio = mixgraph_nodes::io::decode::decode_file(file)?;
        let mono = mixgraph_analysis::mean_of_channels(&audio.channels);
        levels.push(band_levels(&mono, f64::from(audio.sample_rate)));
    }
    Ok(StemsReport { roles, masking: masking(&levels.iter().collect::<Vec<_>>()) })
}

/// The human-readable summary.
pub fn table(files: &[PathBuf], report: &StemsReport) -> String {
    let name = |i: usize| {
        files[i].file_name().map_or_else(|| files[i].display().to_string(), |n| n.to_string_lossy().into_owned())
    };
    let mut s = String::from("stems\n");
    for (i, guess) in report.roles.iter().enumerate() {
        let role = serde_json::to_string(&guess.role).unwrap_or_default();
        let from = match guess.source {
            RoleSource::Name => "from its name",
            RoleSource::Audio => "from its sound",
        };
        let _ = writeln!(s, "  {:<24} {} ({from})", name(i), role.trim_matches('"'));
    }
    s.push_str("masking    share of the time two stems compete (within 6 dB in a critical band), and where most\n");
    for p in &report.masking {
        let worst = p.bands.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            s,
            "  {} × {}: {:.0} %, most at {:.0}-{:.0} Hz ({:.0} %)",
            name(p.a),
            name(p.b),
            100.0 * p.overall,
            p.worst_band_hz.0,
            p.worst_band_hz.1,
            100.0 * worst
        );
    }
    s
}
