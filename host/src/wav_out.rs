//! Crash-safe, deterministic WAV output.
//!
//! [`WavSink`] writes into a temporary `<name>.partXXXXXX` file beside the destination and only
//! renames it onto the destination in [`WavSink::finish`], after the header is complete and the
//! data is synced. A render that fails or panics part-way therefore never leaves a half-written
//! file behind: dropping an unfinished sink deletes its temporary file.
//!
//! 16-bit output is TPDF-dithered from a seeded generator, so the same render with the same seed
//! produces identical bytes.

use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, anyhow, bail};
use tempfile::NamedTempFile;

/// Most sample data a WAV file can hold: RIFF sizes are 32-bit, and hound does not check them,
/// so the limit is enforced here (with headroom for the header).
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 1024;

/// Output sample encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// 16-bit integer PCM with TPDF dither.
    Wav16,
    /// 24-bit integer PCM, rounded without dither.
    Wav24,
    /// 32-bit IEEE float, samples written unchanged.
    Wav32F,
}

impl SampleFormat {
    fn name(self) -> &'static str {
        match self {
            SampleFormat::Wav16 => "wav16",
            SampleFormat::Wav24 => "wav24",
            SampleFormat::Wav32F => "wav32f",
        }
    }

    fn bytes_per_sample(self) -> u64 {
        match self {
            SampleFormat::Wav16 => 2,
            SampleFormat::Wav24 => 3,
            SampleFormat::Wav32F => 4,
        }
    }

    fn spec(self, channels: u16, sample_rate: u32) -> hound::WavSpec {
        let (bits_per_sample, sample_format) = match self {
            SampleFormat::Wav16 => (16, hound::SampleFormat::Int),
            SampleFormat::Wav24 => (24, hound::SampleFormat::Int),
            SampleFormat::Wav32F => (32, hound::SampleFormat::Float),
        };
        hound::WavSpec { channels, sample_rate, bits_per_sample, sample_format }
    }
}

impl fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when parsing an unknown [`SampleFormat`] name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseSampleFormatError(String);

impl fmt::Display for ParseSampleFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown sample format '{}' (expected wav16, wav24 or wav32f)", self.0)
    }
}

impl std::error::Error for ParseSampleFormatError {}

impl FromStr for SampleFormat {
    type Err = ParseSampleFormatError;

    /// Parses `wav16`, `wav24` or `wav32f` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [SampleFormat::Wav16, SampleFormat::Wav24, SampleFormat::Wav32F]
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseSampleFormatError(s.to_owned()))
    }
}

/// xorshift64* generator: tiny, fast and fully determined by its seed.
#[derive(Clone, Debug)]
struct Xorshift(u64);

impl Xorshift {
    fn new(seed: u64) -> Self {
        // SplitMix64 scrambling: nearby seeds give unrelated streams, and the state is never
        // the all-zero value xorshift cannot leave.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Xorshift(if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform on [0, 1) with 53 bits of resolution.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// TPDF dither in LSB: the sum of two independent uniforms, triangular on [-1, 1).
    fn tpdf(&mut self) -> f64 {
        self.uniform() + self.uniform() - 1.0
    }
}

/// Streams audio blocks to a WAV file that appears at its final path only when complete.
///
/// Samples are interleaved frame by frame in the order given, so the dither sequence (and the
/// output) does not depend on how the audio is split into blocks.
pub struct WavSink {
    // Declared before `temp` so the writer is dropped, and stops writing, before the temporary
    // file is deleted.
    writer: hound::WavWriter<BufWriter<File>>,
    temp: NamedTempFile,
    path: PathBuf,
    channels: usize,
    format: SampleFormat,
    dither: Xorshift,
    data_bytes: u64,
}

impl WavSink {
    /// Starts writing `path` (created or replaced by [`finish`](Self::finish)).
    ///
    /// `dither_seed` seeds the 16-bit dither; other formats ignore it. Fails with an error
    /// naming `path` if the directory is missing or unwritable.
    pub fn create(
        path: &Path,
        channels: u16,
        sample_rate: u32,
        format: SampleFormat,
        dither_seed: u64,
    ) -> anyhow::Result<Self> {
        let context = || format!("cannot create output '{}'", path.display());
        let file_name = path.file_name().ok_or_else(|| anyhow!("path has no file name")).with_context(context)?;
        if channels == 0 || sample_rate == 0 {
            return Err(anyhow!("need at least one channel and a positive sample rate")).with_context(context);
        }
        if path.is_dir() {
            return Err(anyhow!("a directory is in the way")).with_context(context);
        }
        // The temporary file must live in the destination directory so that the final rename
        // stays within one filesystem and is atomic.
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut prefix = file_name.to_os_string();
        prefix.push(".part");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).rand_bytes(6);
        // tempfile defaults to owner-only access; a render output should get the usual
        // permissions (0666 minus the umask), like any newly created file.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(dir).with_context(context)?;
        let file = temp.as_file().try_clone().with_context(context)?;
        let writer = hound::WavWriter::new(BufWriter::with_capacity(1 << 16, file), format.spec(channels, sample_rate))
            .with_context(context)?;
        Ok(WavSink {
            writer,
            temp,
            path: path.to_owned(),
            channels: usize::from(channels),
            format,
            dither: Xorshift::new(dither_seed),
            data_bytes: 0,
        })
    }

    /// Appends one block given as one slice per channel, all of the same length.
    ///
    /// Non-finite samples are written as 0; integer formats clip to full scale. Fails, writing
    /// nothing, if the block has the wrong shape or would grow the file past 4 GiB.
    pub fn write_planar(&mut self, channels: &[&[f32]]) -> anyhow::Result<()> {
        let context = || format!("cannot write output '{}'", self.path.display());
        if channels.len() != self.channels {
            bail!("{}: block has {} channels, expected {}", context(), channels.len(), self.channels);
        }
        let frames = channels.first().map_or(0, |c| c.len());
        if channels.iter().any(|c| c.len() != frames) {
            bail!("{}: block channels differ in length", context());
        }
        let block_bytes = (frames * self.channels) as u64 * self.format.bytes_per_sample();
        if self.data_bytes + block_bytes > MAX_DATA_BYTES {
            bail!("{}: audio exceeds the 4 GiB size limit of WAV files", context());
        }
        self.data_bytes += block_bytes;
        for frame in 0..frames {
            for channel in channels {
                let sample = channel[frame];
                let result = match self.format {
                    SampleFormat::Wav16 => {
                        let dither = self.dither.tpdf();
                        self.writer.write_sample(quantize(sample, 32768.0, dither) as i16)
                    }
                    SampleFormat::Wav24 => self.writer.write_sample(quantize(sample, 8_388_608.0, 0.0)),
                    SampleFormat::Wav32F => self.writer.write_sample(if sample.is_finite() { sample } else { 0.0 }),
                };
                result.with_context(context)?;
            }
        }
        Ok(())
    }

    /// Completes the header, syncs the data to disk and renames the file onto its final path.
    pub fn finish(self) -> anyhow::Result<()> {
        let WavSink { writer, temp, path, .. } = self;
        let context = || format!("cannot finish output '{}'", path.display());
        writer.finalize().with_context(context)?;
        temp.as_file().sync_all().with_context(context)?;
        temp.persist(&path).map_err(|e| e.error).with_context(context)?;
        // Make the rename itself durable. Best effort: the output is complete either way, and
        // some platforms cannot open a directory for syncing.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// Scales `sample` to integer steps of `full_scale` per unit, adds `dither` (in steps), then
/// rounds and clips. Non-finite samples become 0 regardless of dither.
fn quantize(sample: f32, full_scale: f64, dither: f64) -> i32 {
    if !sample.is_finite() {
        return 0;
    }
    (f64::from(sample) * full_scale + dither).round().clamp(-full_scale, full_scale - 1.0) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    const LSB16: f32 = 1.0 / 32768.0;

    fn write_file(path: &Path, format: SampleFormat, seed: u64, blocks: &[Vec<Vec<f32>>]) {
        let channels = blocks[0].len() as u16;
        let mut sink = WavSink::create(path, channels, 48000, format, seed).unwrap();
        for block in blocks {
            let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
            sink.write_planar(&slices).unwrap();
        }
        sink.finish().unwrap();
    }

    fn read_i32(path: &Path) -> (hound::WavSpec, Vec<i32>) {
        let mut reader = hound::WavReader::open(path).unwrap();
        let samples = reader.samples::<i32>().map(Result::unwrap).collect();
        (reader.spec(), samples)
    }

    #[test]
    fn format_names_round_trip() {
        for f in [SampleFormat::Wav16, SampleFormat::Wav24, SampleFormat::Wav32F] {
            assert_eq!(f.to_string().parse::<SampleFormat>(), Ok(f));
        }
        assert_eq!("WAV32F".parse::<SampleFormat>(), Ok(SampleFormat::Wav32F));
        let err = "mp3".parse::<SampleFormat>().unwrap_err();
        assert_eq!(err.to_string(), "unknown sample format 'mp3' (expected wav16, wav24 or wav32f)");
    }

    #[test]
    fn tpdf_dither_is_triangular_on_plus_minus_one_lsb() {
        let mut rng = Xorshift::new(7);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.tpdf()).collect();
        assert!(draws.iter().all(|d| (-1.0..1.0).contains(d)));
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0 / 6.0).abs() < 0.005, "variance {var}, triangular wants 1/6");
        // Triangular, not uniform: the central half holds 3/4 of the mass.
        let central = draws.iter().filter(|d| d.abs() < 0.5).count() as f64 / n as f64;
        assert!((central - 0.75).abs() < 0.01, "central mass {central}");
    }

    #[test]
    fn dithered_16_bit_preserves_sub_lsb_dc() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dc.wav");
        let block = vec![vec![0.25 * LSB16; 1000]];
        write_file(&path, SampleFormat::Wav16, 42, &vec![block; 100]);
        let (spec, samples) = read_i32(&path);
        assert_eq!((spec.bits_per_sample, spec.channels, samples.len()), (16, 1, 100_000));
        let mean = samples.iter().map(|&s| f64::from(s)).sum::<f64>() / samples.len() as f64;
        assert!((mean - 0.25).abs() < 0.02, "mean {mean} LSB, want 0.25");
        let max_err = samples.iter().map(|&s| (f64::from(s) - 0.25).abs()).fold(0.0, f64::max);
        assert!(max_err <= 1.5, "error {max_err} LSB");
        // Total error power of TPDF dither plus rounding is 1/6 + 1/12 = 1/4 LSB^2.
        let power = samples.iter().map(|&s| (f64::from(s) - 0.25).powi(2)).sum::<f64>() / samples.len() as f64;
        assert!((power - 0.25).abs() < 0.02, "error power {power} LSB^2");
    }

    #[test]
    fn same_seed_same_bytes_regardless_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let signal: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.01).sin() * 0.3).collect();
        let stereo = |range: std::ops::Range<usize>| vec![signal[range.clone()].to_vec(), signal[range].to_vec()];
        let one_block = vec![stereo(0..4000)];
        let many_blocks: Vec<_> = (0..40).map(|b| stereo(b * 100..(b + 1) * 100)).collect();
        let paths: Vec<PathBuf> = (0..4).map(|i| dir.path().join(format!("{i}.wav"))).collect();
        write_file(&paths[0], SampleFormat::Wav16, 1, &one_block);
        write_file(&paths[1], SampleFormat::Wav16, 1, &one_block);
        write_file(&paths[2], SampleFormat::Wav16, 1, &many_blocks);
        write_file(&paths[3], SampleFormat::Wav16, 2, &one_block);
        let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
        assert_eq!(bytes[0], bytes[1]);
        assert_eq!(bytes[0], bytes[2]);
        assert_ne!(bytes[0], bytes[3]);
    }

    #[test]
    fn round_trip_24_bit_rounds_and_clips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let left = vec![0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 1e-7, f32::NAN, f32::INFINITY];
        let right: Vec<f32> = left.iter().map(|s| -s * 0.25).collect();
        write_file(
            &path,
            SampleFormat::Wav24,
            0,
            &[vec![left.clone(), right.clone()], vec![left[..3].to_vec(), right[..3].to_vec()]],
        );
        let (spec, samples) = read_i32(&path);
        assert_eq!((spec.bits_per_sample, spec.channels, spec.sample_format), (24, 2, hound::SampleFormat::Int));
        let full = 8_388_608.0f64;
        let want =
            |x: f32| if x.is_finite() { (f64::from(x) * full).round().clamp(-full, full - 1.0) as i32 } else { 0 };
        let expected: Vec<i32> = left
            .iter()
            .chain(&left[..3])
            .zip(right.iter().chain(&right[..3]))
            .flat_map(|(l, r)| [want(*l), want(*r)])
            .collect();
        assert_eq!(samples, expected);
        assert_eq!(&samples[6..8], &[8_388_607, -2_097_152]); // 1.0 clips to the largest step
    }

    #[test]
    fn round_trip_32_bit_float_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let mono = vec![0.0, 0.123_456_79, -0.75, 1.5, -2.0, f32::NAN, f32::NEG_INFINITY];
        write_file(&path, SampleFormat::Wav32F, 0, &[vec![mono.clone()]]);
        let mut reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().sample_format, hound::SampleFormat::Float);
        let got: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
        let want: Vec<f32> = mono.iter().map(|&s| if s.is_finite() { s } else { 0.0 }).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn dropped_sink_leaves_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        let mut sink = WavSink::create(&path, 1, 48000, SampleFormat::Wav16, 0).unwrap();
        sink.write_planar(&[&[0.1; 512]]).unwrap();
        let temp = sink.temp.path().to_owned();
        let name = temp.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with("out.wav.part") && temp.exists(), "{name}");
        assert!(!path.exists());
        drop(sink);
        assert!(!temp.exists() && !path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn existing_output_is_replaced_only_on_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        std::fs::write(&path, b"previous render").unwrap();
        let mut sink = WavSink::create(&path, 2, 44100, SampleFormat::Wav24, 0).unwrap();
        sink.write_planar(&[&[0.5; 10], &[-0.5; 10]]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"previous render");
        drop(sink);
        assert_eq!(std::fs::read(&path).unwrap(), b"previous render");
        let mut sink = WavSink::create(&path, 2, 44100, SampleFormat::Wav24, 0).unwrap();
        sink.write_planar(&[&[0.5; 10], &[-0.5; 10]]).unwrap();
        sink.finish().unwrap();
        let (spec, samples) = read_i32(&path);
        assert_eq!((spec.sample_rate, samples.len()), (44100, 20));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("a-file");
        std::fs::write(&blocker, b"x").unwrap();
        for path in [dir.path().join("missing/out.wav"), blocker.join("out.wav"), dir.path().to_owned()] {
            let msg = match WavSink::create(&path, 2, 48000, SampleFormat::Wav16, 0) {
                Ok(_) => panic!("created {}", path.display()),
                Err(e) => format!("{e:#}"),
            };
            assert!(msg.starts_with(&format!("cannot create output '{}'", path.display())), "{msg}");
        }
        let path = dir.path().join("ok.wav");
        let mut sink = WavSink::create(&path, 2, 48000, SampleFormat::Wav16, 0).unwrap();
        let err = sink.write_planar(&[&[0.0; 4]]).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()) && err.contains("1 channels, expected 2"), "{err}");
        let err = sink.write_planar(&[&[0.0; 4], &[0.0; 3]]).unwrap_err().to_string();
        assert!(err.contains("differ in length"), "{err}");
        // Pretend nearly 4 GiB were written already: the next block must be refused.
        sink.data_bytes = MAX_DATA_BYTES - 8;
        sink.write_planar(&[&[0.0; 2], &[0.0; 2]]).unwrap();
        let err = sink.write_planar(&[&[0.0; 1], &[0.0; 1]]).unwrap_err().to_string();
        assert!(err.contains("4 GiB"), "{err}");
    }
}
