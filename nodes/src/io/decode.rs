//! Audio file decoding and sample-rate conversion.
//!
//! [`decode_file`] reads any container/codec pair symphonia supports (WAV, AIFF, FLAC, MP3,
//! OGG/Vorbis, AAC/M4A, ...) into planar `f32`. [`resample`] converts to another rate with
//! rubato's FFT resampler, trimming the filter delay so that output is time-aligned with input.
//!
//! Corrupt input never panics: every failure is a [`DecodeError`] whose message names the file.
//! Undecodable packets are replaced by silence of the same duration (so later audio keeps its
//! timing), but only a few are tolerated; anything that loses data silently (truncation, I/O
//! errors, demuxer errors, checksum mismatch) is an error.

use std::fs::File;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;
use symphonia::core::units::TimeBase;

/// Undecodable packets tolerated per file before decoding is abandoned as corrupt.
const MAX_SKIPPED_PACKETS: usize = 16;

/// Longest silence (in seconds) a single skipped packet may be replaced with; bounds the
/// allocation a corrupt packet duration can cause.
const MAX_GAP_SECONDS: u64 = 10;

/// Target FFT block length in input frames: a long block gives a long (high-quality)
/// anti-aliasing filter, and its delay is compensated, so latency does not matter.
const RESAMPLE_BLOCK: usize = 1024;

/// Largest FFT block accepted (frames); rate pairs with almost no common divisor, such as a
/// corrupt header's, would otherwise need gigantic transforms.
const MAX_RESAMPLE_BLOCK: usize = 1 << 21;

/// Decoded audio, planar: `channels[c][frame]`.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedAudio {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// One sample vector per channel, all of the same length.
    pub channels: Vec<Vec<f32>>,
}

impl DecodedAudio {
    /// Number of frames (samples per channel); 0 when there are no channels.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }
}

/// Why a file could not be decoded or resampled. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file could not be opened (missing, permission denied, a directory, ...).
    #[error("cannot open '{}': {}", path.display(), io_message(error))]
    Open {
        /// The file.
        path: PathBuf,
        /// Why opening failed.
        error: io::Error,
    },
    /// The file has zero bytes.
    #[error("'{}': file is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// No known container format was recognised.
    #[error("'{}': unsupported or unrecognised audio format", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// The container was recognised but its audio cannot be decoded (unknown codec, a stream
    /// that changes format mid-file, ...).
    #[error("'{}': unsupported audio stream: {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is unsupported.
        reason: String,
    },
    /// The container holds no audio track.
    #[error("'{}': file contains no audio track", path.display())]
    NoAudioTrack {
        /// The file.
        path: PathBuf,
    },
    /// The data is malformed or truncated.
    #[error("'{}': corrupt audio data at frame {frame}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Frames produced before the problem.
        frame: u64,
        /// What is wrong.
        reason: String,
    },
    /// Reading the file failed part-way.
    #[error("'{}': read error at frame {frame}: {}", path.display(), io_message(error))]
    Read {
        /// The file.
        path: PathBuf,
        /// Frames produced before the problem.
        frame: u64,
        /// Why reading failed.
        error: io::Error,
    },
    /// Sample-rate conversion failed.
    #[error("{}cannot resample from {from} Hz to {to} Hz: {reason}", path_prefix(path.as_deref()))]
    Resample {
        /// The file the audio came from; `None` for audio given to [`resample`] directly.
        path: Option<PathBuf>,
        /// Source rate in Hz.
        from: u32,
        /// Target rate in Hz.
        to: u32,
        /// What went wrong.
        reason: String,
    },
}

/// `io::Error`'s message without the redundant " (os error N)" suffix.
fn io_message(error: &io::Error) -> String {
    let text = error.to_string();
    match error.raw_os_error() {
        Some(code) => match text.strip_suffix(&format!(" (os error {code})")) {
            Some(stripped) => stripped.to_owned(),
            None => text,
        },
        None => text,
    }
}

fn path_prefix(path: Option<&Path>) -> String {
    path.map(|p| format!("'{}': ", p.display())).unwrap_or_default()
}

/// Decodes the first audio track of `path` into planar `f32`.
///
/// Integer sources map to [-1, 1); float sources are passed through unclipped, except that
/// non-finite samples become 0. The file extension is given to the probe as a hint.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, DecodeError> {
    let mut frame = 0u64;
    // Symphonia is meant never to panic on bad input; if a decoder bug does, the caller still
    // gets an error naming the file instead of a crashed render.
    match panic::catch_unwind(AssertUnwindSafe(|| decode_stream(path, &mut frame))) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(DecodeError::Corrupt {
                path: path.to_owned(),
                frame,
                reason: format!("decoder failed internally: {what}"),
            })
        }
    }
}

/// Resamples `audio` to `target_rate` Hz; returns a clone when the rates are equal.
///
/// The output has `round(frames * target_rate / sample_rate)` frames and is time-aligned with
/// the input (the resampler's delay is removed).
pub fn resample(audio: &DecodedAudio, target_rate: u32) -> Result<DecodedAudio, DecodeError> {
    resample_inner(audio, target_rate, None)
}

/// [`decode_file`] followed by [`resample`]; resampling errors name `path`.
pub fn decode_and_resample(path: &Path, target_rate: u32) -> Result<DecodedAudio, DecodeError> {
    let audio = decode_file(path)?;
    resample_inner(&audio, target_rate, Some(path))
}

/// The decode itself; `frame` tracks progress so a panic can still report a position.
fn decode_stream(path: &Path, frame: &mut u64) -> Result<DecodedAudio, DecodeError> {
    let open_error = |error| DecodeError::Open { path: path.to_owned(), error };
    let file = File::open(path).map_err(open_error)?;
    let meta = file.metadata().map_err(open_error)?;
    if meta.is_dir() {
        // Opening a directory succeeds on Unix; reading it would fail with a vaguer message.
        return Err(open_error(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
    }
    if meta.len() == 0 {
        return Err(DecodeError::Empty { path: path.to_owned() });
    }

    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => DecodeError::UnsupportedFormat { path: path.to_owned() },
            other => stream_error(path, 0, other),
        })?;

    let track =
        format.default_track(TrackType::Audio).ok_or_else(|| DecodeError::NoAudioTrack { path: path.to_owned() })?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| DecodeError::NoAudioTrack { path: path.to_owned() })?
        .clone();
    let (track_id, time_base, expected_frames) = (track.id, track.time_base, track.num_frames);
    // A WAV/AIFF whose size fields were never filled in (written to a pipe or live) can only
    // end with an EOF error, and symphonia then drops its last partial packet (< 1152 frames).
    // Every other premature EOF means the file is truncated.
    let eof_is_end = expected_frames.is_none() && matches!(format.format_info().short_name, "wave" | "aiff");

    // Verification (e.g. FLAC's MD5) catches decoders silently producing wrong samples.
    let options = AudioDecoderOptions::default().verify(true);
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &options)
        .map_err(|e| DecodeError::Unsupported { path: path.to_owned(), reason: e.to_string() })?;

    let corrupt = |frame: u64, reason: String| DecodeError::Corrupt { path: path.to_owned(), frame, reason };
    let param_channels = params.channels.as_ref().map_or(0, |c| c.count());
    let mut channels: Vec<Vec<f32>> = vec![Vec::new(); param_channels];
    let mut rate = params.sample_rate.filter(|&r| r > 0);
    let mut pending_gap = 0u64; // silence owed before the channel count is known
    let (mut decoded_packets, mut skipped) = (0usize, 0usize);
    let mut scratch: Vec<Vec<f32>> = Vec::new();

    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof && eof_is_end => {
                break;
            }
            Err(e) => return Err(stream_error(path, *frame, e)),
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                decoded_packets += 1;
                let buf_rate = buf.spec().rate();
                if buf_rate == 0 || rate.is_some_and(|r| r != buf_rate && decoded_packets > 1) {
                    return Err(corrupt(*frame, format!("sample rate changed to {buf_rate} Hz")));
                }
                rate = Some(buf_rate);
                if buf.frames() == 0 {
                    continue;
                }
                if channels.is_empty() {
                    channels = vec![Vec::new(); buf.num_planes()];
                    append_silence(&mut channels, pending_gap);
                    *frame += pending_gap;
                }
                if buf.num_planes() != channels.len() {
                    let reason = format!("channel count changed from {} to {}", channels.len(), buf.num_planes());
                    return Err(corrupt(*frame, reason));
                }
                buf.copy_to_vecs_planar::<f32>(&mut scratch);
                for (dst, src) in channels.iter_mut().zip(&scratch) {
                    dst.extend(src.iter().map(|&s| if s.is_finite() { s } else { 0.0 }));
                }
                *frame += buf.frames() as u64;
            }
            // The decoder contract: these lose only this packet and decoding may continue.
            Err(e @ (SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_))) => {
                skipped += 1;
                if skipped > MAX_SKIPPED_PACKETS {
                    let reason = format!("more than {MAX_SKIPPED_PACKETS} undecodable packets: {e}");
                    return Err(corrupt(*frame, reason));
                }
                // Keep later audio at its true position by filling the lost packet's duration.
                let gap = packet_frames(&packet, time_base, rate);
                if channels.is_empty() {
                    pending_gap += gap;
                } else {
                    append_silence(&mut channels, gap);
                    *frame += gap;
                }
            }
            Err(SymphoniaError::ResetRequired) => {
                let reason = "audio format changes mid-stream".to_owned();
                return Err(DecodeError::Unsupported { path: path.to_owned(), reason });
            }
            Err(e) => return Err(stream_error(path, *frame, e)),
        }
    }

    if skipped > 0 && decoded_packets == 0 {
        return Err(corrupt(0, format!("none of {skipped} packets could be decoded")));
    }
    if let Some(expected) = expected_frames
        && *frame < expected
    {
        return Err(corrupt(*frame, format!("file ends early; header declares {expected} frames")));
    }
    // A checksum mismatch is expected after skipping packets; otherwise samples are wrong.
    if skipped == 0 && decoder.finalize().verify_ok == Some(false) {
        return Err(corrupt(*frame, "checksum mismatch in decoded audio".to_owned()));
    }
    let sample_rate = rate.ok_or_else(|| corrupt(*frame, "sample rate is missing".to_owned()))?;
    Ok(DecodedAudio { sample_rate, channels })
}

/// Maps a symphonia error raised while probing or demuxing to a [`DecodeError`].
fn stream_error(path: &Path, frame: u64, error: SymphoniaError) -> DecodeError {
    let path = path.to_owned();
    match error {
        SymphoniaError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            DecodeError::Corrupt { path, frame, reason: "unexpected end of file".to_owned() }
        }
        SymphoniaError::IoError(error) => DecodeError::Read { path, frame, error },
        SymphoniaError::Unsupported(what) => DecodeError::Unsupported { path, reason: what.to_owned() },
        SymphoniaError::ResetRequired => {
            DecodeError::Unsupported { path, reason: "track layout changes mid-file (chained stream)".to_owned() }
        }
        other => DecodeError::Corrupt { path, frame, reason: other.to_string() },
    }
}

/// Duration of `packet` in frames at `rate`, capped at [`MAX_GAP_SECONDS`].
fn packet_frames(packet: &Packet, time_base: Option<TimeBase>, rate: Option<u32>) -> u64 {
    let Some(rate) = rate else { return 0 };
    let ticks = u128::from(packet.dur.get());
    // Audio tracks usually tick once per frame, but containers such as MKV use other bases.
    let frames = match time_base {
        Some(tb) => ticks * u128::from(tb.numer.get()) * u128::from(rate) / u128::from(tb.denom.get()),
        None => ticks,
    };
    let cap = MAX_GAP_SECONDS * u64::from(rate);
    u64::try_from(frames).unwrap_or(cap).min(cap)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn append_silence(channels: &mut [Vec<f32>], frames: u64) {
    let frames = usize::try_from(frames).unwrap_or(0);
    for channel in channels {
        channel.resize(channel.len() + frames, 0.0);
    }
}

fn resample_inner(audio: &DecodedAudio, target_rate: u32, path: Option<&Path>) -> Result<DecodedAudio, DecodeError> {
    let source_rate = audio.sample_rate;
    if source_rate == target_rate {
        return Ok(audio.clone());
    }
    let fail = |reason: String| DecodeError::Resample {
        path: path.map(Path::to_path_buf),
        from: source_rate,
        to: target_rate,
        reason,
    };
    if source_rate == 0 || target_rate == 0 {
        return Err(fail("sample rates must be positive".to_owned()));
    }
    let frames = audio.frames();
    if audio.channels.iter().any(|c| c.len() != frames) {
        return Err(fail("channels have different lengths".to_owned()));
    }
    // Integer arithmetic: round(frames * target / source) without float error on long files.
    let out_len = (frames as u128 * u128::from(target_rate) + u128::from(source_rate) / 2) / u128::from(source_rate);
    let out_len = usize::try_from(out_len).map_err(|_| fail("output too long".to_owned()))?;
    let channel_count = audio.channel_count();
    if frames == 0 || channel_count == 0 {
        return Ok(DecodedAudio { sample_rate: target_rate, channels: vec![Vec::new(); channel_count] });
    }

    // The FFT resampler is synchronous (exact rational ratio) and much faster than sinc
    // interpolation for whole files. Its blocks are multiples `k` of the smallest ones, and `k`
    // must be even: rubato trims `block_out / 2` frames of delay while the filter's true delay is
    // `floor(block_in / 2) * ratio`, which differs by up to a frame when a block length is odd.
    let (src, dst) = (source_rate as usize, target_rate as usize);
    let (min_block_in, min_block_out) = (src / gcd(src, dst), dst / gcd(src, dst));
    let k = (RESAMPLE_BLOCK / min_block_in / 2 * 2).max(2);
    if k * min_block_in.max(min_block_out) > MAX_RESAMPLE_BLOCK {
        return Err(fail("the rates share too small a common divisor".to_owned()));
    }
    let mut resampler = Fft::<f32>::new_custom(
        src,
        dst,
        k * min_block_in,
        1,
        channel_count,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(|e| fail(e.to_string()))?;
    let input = SequentialSliceOfVecs::new(&audio.channels, channel_count, frames).map_err(|e| fail(e.to_string()))?;
    let needed = resampler.process_all_needed_output_len(frames);
    let mut out = vec![vec![0.0f32; needed]; channel_count];
    let mut output =
        SequentialSliceOfVecs::new_mut(&mut out, channel_count, needed).map_err(|e| fail(e.to_string()))?;
    // `process_all_into_buffer` trims the resampler's output delay, which aligns the output.
    let (_, produced) =
        resampler.process_all_into_buffer(&input, &mut output, frames, None).map_err(|e| fail(e.to_string()))?;
    if produced < out_len {
        return Err(fail(format!("resampler produced {produced} of {out_len} frames")));
    }
    for channel in &mut out {
        channel.truncate(out_len);
    }
    Ok(DecodedAudio { sample_rate: target_rate, channels: out })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn write_wav_int(path: &Path, rate: u32, bits: u16, channels: &[Vec<i32>]) {
        let spec = hound::WavSpec {
            channels: channels.len() as u16,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..channels[0].len() {
            for ch in channels {
                if bits == 16 {
                    w.write_sample(ch[i] as i16).unwrap();
                } else {
                    w.write_sample(ch[i]).unwrap();
                }
            }
        }
        w.finalize().unwrap();
    }

    /// 80-bit IEEE extended encoding of an integer sample rate, as AIFF's COMM chunk wants.
    fn ext80(rate: u32) -> [u8; 10] {
        let e = 31 - rate.leading_zeros(); // floor(log2(rate))
        let exponent = (16383 + e) as u16;
        let mantissa = u64::from(rate) << (63 - e);
        let mut out = [0u8; 10];
        out[..2].copy_from_slice(&exponent.to_be_bytes());
        out[2..].copy_from_slice(&mantissa.to_be_bytes());
        out
    }

    /// A minimal 16-bit big-endian AIFF: FORM/AIFF with COMM and SSND chunks.
    fn aiff_bytes(rate: u32, channels: &[Vec<i16>]) -> Vec<u8> {
        let frames = channels[0].len();
        let mut comm = Vec::new();
        comm.extend_from_slice(&(channels.len() as u16).to_be_bytes());
        comm.extend_from_slice(&(frames as u32).to_be_bytes());
        comm.extend_from_slice(&16u16.to_be_bytes());
        comm.extend_from_slice(&ext80(rate));
        let mut ssnd = vec![0u8; 8]; // offset, block size
        for i in 0..frames {
            for ch in channels {
                ssnd.extend_from_slice(&ch[i].to_be_bytes());
            }
        }
        let mut body = b"AIFF".to_vec();
        for (id, data) in [(b"COMM", &comm), (b"SSND", &ssnd)] {
            body.extend_from_slice(id);
            body.extend_from_slice(&(data.len() as u32).to_be_bytes());
            body.extend_from_slice(data);
        }
        let mut file = b"FORM".to_vec();
        file.extend_from_slice(&(body.len() as u32).to_be_bytes());
        file.extend_from_slice(&body);
        file
    }

    fn sine(rate: u32, freq: f64, amp: f64, frames: usize) -> Vec<f32> {
        (0..frames).map(|n| (amp * (2.0 * PI * freq * n as f64 / f64::from(rate)).sin()) as f32).collect()
    }

    fn mono(rate: u32, samples: Vec<f32>) -> DecodedAudio {
        DecodedAudio { sample_rate: rate, channels: vec![samples] }
    }

    fn assert_names_path(err: &DecodeError, path: &Path) {
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "message {msg:?} lacks path");
        assert!(!msg.ends_with('.'), "message {msg:?} ends with a period");
    }

    /// Deterministic pseudo-random bytes (xorshift64) for fuzz-style inputs.
    fn noise_bytes(len: usize, mut state: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn wav16_round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let values: Vec<i32> = vec![0, 1, -1, 1000, -1000, 16384, -16384, 32767, -32768];
        write_wav_int(&path, 44100, 16, std::slice::from_ref(&values));
        let audio = decode_file(&path).unwrap();
        assert_eq!((audio.sample_rate, audio.channel_count(), audio.frames()), (44100, 1, 9));
        for (got, want) in audio.channels[0].iter().zip(&values) {
            assert_eq!(*got, *want as f32 / 32768.0);
        }
    }

    #[test]
    fn wav24_round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let values: Vec<i32> = vec![0, 1, -1, 123_456, -123_456, 8_388_607, -8_388_608];
        write_wav_int(&path, 96000, 24, std::slice::from_ref(&values));
        let audio = decode_file(&path).unwrap();
        assert_eq!(audio.sample_rate, 96000);
        for (got, want) in audio.channels[0].iter().zip(&values) {
            assert!((got - *want as f32 / 8_388_608.0).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn wav32f_round_trip_is_bit_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let values = vec![0.0f32, 0.5, -0.5, 1.0, -1.0, 1e-7, 0.123_456_79];
        mixgraph_tests::write_wav(&path, std::slice::from_ref(&values), 48000);
        let audio = decode_file(&path).unwrap();
        assert_eq!(audio.channels[0], values);
    }

    #[test]
    fn channel_order_is_preserved() {
        let dir = tempfile::tempdir().unwrap();
        // Stereo and a 3-channel file (written as WAVE_FORMAT_EXTENSIBLE by hound).
        for n in [2usize, 3] {
            let path = dir.path().join(format!("ch{n}.wav"));
            let chans: Vec<Vec<i32>> = (0..n).map(|c| vec![1000 * (c as i32 + 1); 64]).collect();
            write_wav_int(&path, 48000, 16, &chans);
            let audio = decode_file(&path).unwrap();
            assert_eq!(audio.channel_count(), n);
            for (c, ch) in audio.channels.iter().enumerate() {
                let want = 1000.0 * (c as f32 + 1.0) / 32768.0;
                assert!(ch.iter().all(|&s| s == want), "channel {c} of {n}");
            }
        }
    }

    #[test]
    fn aiff_decodes_with_channel_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.aiff");
        let left: Vec<i16> = (0..500).map(|i| (i * 50) as i16).collect();
        let right: Vec<i16> = left.iter().map(|s| -s).collect();
        std::fs::write(&path, aiff_bytes(44100, &[left.clone(), right.clone()])).unwrap();
        let audio = decode_file(&path).unwrap();
        assert_eq!((audio.sample_rate, audio.channel_count(), audio.frames()), (44100, 2, 500));
        for i in 0..500 {
            assert_eq!(audio.channels[0][i], f32::from(left[i]) / 32768.0);
            assert_eq!(audio.channels[1][i], f32::from(right[i]) / 32768.0);
        }
    }

    #[test]
    fn missing_empty_text_and_directory_give_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.wav");
        let err = decode_file(&missing).unwrap_err();
        assert!(matches!(err, DecodeError::Open { .. }), "{err:?}");
        assert_names_path(&err, &missing);
        assert!(err.to_string().ends_with("No such file or directory"), "{err}");

        let empty = dir.path().join("empty.wav");
        std::fs::write(&empty, b"").unwrap();
        let err = decode_file(&empty).unwrap_err();
        assert!(matches!(err, DecodeError::Empty { .. }), "{err:?}");
        assert_names_path(&err, &empty);

        let text = dir.path().join("notes.wav");
        std::fs::write(&text, "just some text, not audio at all\n".repeat(200)).unwrap();
        let err = decode_file(&text).unwrap_err();
        assert!(matches!(err, DecodeError::UnsupportedFormat { .. }), "{err:?}");
        assert_names_path(&err, &text);
        assert!(err.to_string().contains("unsupported or unrecognised audio format"));

        let err = decode_file(dir.path()).unwrap_err();
        assert!(matches!(err, DecodeError::Open { .. }), "{err:?}");
        assert_names_path(&err, dir.path());
    }

    #[test]
    fn random_bytes_are_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        for (i, ext) in ["bin", "wav", "mp3", "flac", "ogg", "m4a", "aiff"].iter().enumerate() {
            let path = dir.path().join(format!("noise.{ext}"));
            std::fs::write(&path, noise_bytes(64 * 1024, 0x9E37_79B9 + i as u64)).unwrap();
            let err = decode_file(&path).unwrap_err();
            assert_names_path(&err, &path);
        }
    }

    #[test]
    fn truncated_wav_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full.wav");
        write_wav_int(&full, 44100, 16, &[vec![1000; 10_000], vec![-1000; 10_000]]);
        let bytes = std::fs::read(&full).unwrap();
        let path = dir.path().join("cut.wav");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = decode_file(&path).unwrap_err();
        assert!(matches!(err, DecodeError::Corrupt { .. }), "{err:?}");
        assert_names_path(&err, &path);
        assert!(err.to_string().contains("corrupt audio data at frame"), "{err}");
    }

    /// Every prefix of the header and every single-byte header corruption must decode or fail
    /// cleanly: no panic, and errors name the file.
    #[test]
    fn damaged_headers_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("src.wav");
        write_wav_int(&wav, 22050, 16, &[vec![500; 300], vec![-500; 300]]);
        let aiff = aiff_bytes(22050, &[vec![500; 300], vec![-500; 300]]);
        for (name, bytes) in [("x.wav", std::fs::read(&wav).unwrap()), ("x.aiff", aiff)] {
            let path = dir.path().join(name);
            let mut variants: Vec<Vec<u8>> = (0..80).map(|n| bytes[..n].to_vec()).collect();
            for pos in 0..60 {
                for val in [0x00, 0xFF, 0x7F, 0x80] {
                    let mut v = bytes.clone();
                    v[pos] = val;
                    variants.push(v);
                }
            }
            for v in variants {
                std::fs::write(&path, &v).unwrap();
                if let Err(err) = decode_file(&path) {
                    assert_names_path(&err, &path);
                }
            }
        }
    }

    #[test]
    fn header_only_wav_is_empty_audio() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silent.wav");
        write_wav_int(&path, 32000, 16, &[Vec::new(), Vec::new()]);
        let audio = decode_file(&path).unwrap();
        assert_eq!((audio.sample_rate, audio.channel_count(), audio.frames()), (32000, 2, 0));
    }

    #[test]
    fn resample_equal_rate_is_clone() {
        let audio = mono(48000, sine(48000, 440.0, 0.5, 1000));
        assert_eq!(resample(&audio, 48000).unwrap(), audio);
    }

    #[test]
    fn resample_lengths_are_rounded() {
        for (from, to) in [(44100u32, 48000u32), (48000, 44100), (96000, 44100), (8000, 48000)] {
            for frames in [1usize, 7, 100, 1000, 44_101] {
                let audio = DecodedAudio { sample_rate: from, channels: vec![vec![0.1; frames], vec![-0.1; frames]] };
                let out = resample(&audio, to).unwrap();
                let want = (frames as f64 * f64::from(to) / f64::from(from)).round() as usize;
                assert_eq!(out.frames(), want, "{from}->{to}, {frames} frames");
                assert_eq!((out.channel_count(), out.sample_rate), (2, to));
                assert!(out.channels.iter().all(|c| c.len() == want));
            }
        }
    }

    #[test]
    fn resample_sine_preserves_frequency_amplitude_and_phase() {
        let (amp, freq) = (0.5, 1000.0);
        let out = resample(&mono(44100, sine(44100, freq, amp, 44100)), 48000).unwrap();
        assert_eq!(out.frames(), 48000);
        let y = &out.channels[0];
        // Middle 0.8 s, away from the edges where the filter sees the clip boundaries.
        let (lo, hi) = (4800, 43200);

        // Frequency from interpolated rising zero crossings.
        let crossings: Vec<f64> = (lo..hi)
            .filter(|&n| y[n - 1] < 0.0 && y[n] >= 0.0)
            .map(|n| (n - 1) as f64 + f64::from(y[n - 1] / (y[n - 1] - y[n])))
            .collect();
        assert_eq!(crossings.len(), 800);
        let period = (crossings[crossings.len() - 1] - crossings[0]) / (crossings.len() - 1) as f64;
        let measured = 48000.0 / period;
        assert!((measured - freq).abs() < 0.01, "frequency {measured} Hz");

        // Amplitude from RMS, within 0.1 dB.
        let rms = (y[lo..hi].iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / (hi - lo) as f64).sqrt();
        let db = 20.0 * (rms * 2f64.sqrt() / amp).log10();
        assert!(db.abs() < 0.1, "level error {db} dB");

        // Phase: the output matches the ideal 48 kHz sine sample by sample, so it is aligned.
        let ideal = sine(48000, freq, amp, 48000);
        let max_err = (lo..hi).map(|n| (y[n] - ideal[n]).abs()).fold(0.0f32, f32::max);
        assert!(max_err < 1e-4, "max deviation from ideal sine {max_err}");
    }

    #[test]
    fn resample_click_lands_at_scaled_position() {
        for (from, to) in [(44100u32, 48000u32), (48000, 44100), (44100, 96000), (48000, 22050)] {
            for pos in [3usize, 1000, 10_007, 29_999] {
                let mut x = vec![0.0f32; 30_000];
                x[pos] = 1.0;
                let out = resample(&mono(from, x), to).unwrap();
                let y = &out.channels[0];
                let peak = (0..y.len()).max_by(|&a, &b| y[a].abs().total_cmp(&y[b].abs())).unwrap();
                let want = pos as f64 * f64::from(to) / f64::from(from);
                assert!((peak as f64 - want).abs() <= 1.0, "{from}->{to}: click {pos} at {peak}, want {want:.2}");
            }
        }
    }

    #[test]
    fn resample_rejects_bad_input_with_message() {
        let err = resample(&mono(0, vec![0.0; 10]), 48000).unwrap_err();
        assert!(err.to_string().starts_with("cannot resample from 0 Hz"), "{err}");
        let err = resample(&mono(1_999_993, vec![0.0; 10]), 48000).unwrap_err();
        assert!(err.to_string().contains("common divisor"), "{err}");
        let ragged = DecodedAudio { sample_rate: 44100, channels: vec![vec![0.0; 10], vec![0.0; 9]] };
        assert!(resample(&ragged, 48000).is_err());
        let empty = DecodedAudio { sample_rate: 44100, channels: vec![Vec::new(); 2] };
        let out = resample(&empty, 48000).unwrap();
        assert_eq!((out.frames(), out.channel_count(), out.sample_rate), (0, 2, 48000));
    }

    #[test]
    fn decode_and_resample_converts_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let left: Vec<i32> = (0..4410).map(|i| (i % 100) * 100).collect();
        write_wav_int(&path, 44100, 16, &[left.clone(), left]);
        let out = decode_and_resample(&path, 48000).unwrap();
        assert_eq!((out.sample_rate, out.channel_count(), out.frames()), (48000, 2, 4800));
        let err = decode_and_resample(&dir.path().join("nope.wav"), 48000).unwrap_err();
        assert_names_path(&err, &dir.path().join("nope.wav"));
    }
}
