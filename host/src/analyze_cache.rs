//! The analysis cache: one JSON file per analysed file content, keyed by the
//! SHA-256 of the file's bytes and the analysis version.

use anyhow::{Context, Result};
use mixgraph_analysis::{ANALYSIS_VERSION, Analysis};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where cached results live, and whether to use them.
pub struct AnalysisCache {
    dir: Option<PathBuf>,
}

impl AnalysisCache {
    /// The cache in `explicit`, else `$MIXGRAPH_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/mixgraph/analysis`, else `~/.cache/mixgraph/analysis`;
    /// none at all when `disabled` (or no home directory is known).
    pub fn locate(explicit: Option<PathBuf>, disabled: bool) -> Self {
        if disabled {
            return AnalysisCache { dir: None };
        }
        let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let dir = explicit
            .or_else(|| env("MIXGRAPH_CACHE_DIR"))
            .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("mixgraph").join("analysis")))
            .or_else(|| env("HOME").map(|d| d.join(".cache").join("mixgraph").join("analysis")));
        AnalysisCache { dir }
    }

    /// A cached analysis of content `key`, if present and readable (a
    /// corrupt entry counts as absent and is overwritten later).
    pub fn load(&self, key: &str) -> Option<Analysis> {
        let text = std::fs::read_to_string(self.entry(key)?).ok()?;
        serde_json::from_str::<Analysis>(&text).ok().filter(|a| a.version == ANALYSIS_VERSION)
    }

    /// Stores `analysis` under `key`, through a temporary file renamed into
    /// place, so a reader never sees half an entry.
    pub fn store(&self, key: &str, analysis: &Analysis) -> Result<()> {
        let (Some(dir), Some(path)) = (&self.dir, self.entry(key)) else { return Ok(()) };
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the cache directory '{}'", dir.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write into the cache directory '{}'", dir.display()))?;
        serde_json::to_writer(&mut tmp, analysis)?;
        tmp.persist(&path).with_context(|| format!("cannot write '{}'", path.display()))?;
        Ok(())
    }

    fn entry(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{key}-v{ANALYSIS_VERSION}.json")))
    }
}

/// Hex SHA-256 of the file's bytes.
pub fn content_key(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open '{}'", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("cannot read '{}'", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
