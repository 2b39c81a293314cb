//! A minimal CLAP host on clack-host: loads the built plugin library
//! exactly as a DAW does (entry, factory, instance, activate, process,
//! state, parameters, latency).

use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{NoteOffEvent, NoteOnEvent, ParamValueEvent};
use clack_host::prelude::*;
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The cargo target directory of this build (`…/target/debug`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // …/target/debug/deps/<test> → …/target/debug
    exe.parent().and_then(|p| p.parent()).expect("target dir").to_path_buf()
}

/// Builds the plugin library and the `mixgraph` binary into this build's
/// target directory (`cargo test` builds the crate's rlib for tests, not
/// the shared library a host loads). Once per test process; a no-op when
/// they are up to date. A debug build gets `assert_process_allocs`: the
/// library then aborts the test on any allocation inside the host's
/// process call, wrapper included.
pub fn ensure_built() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let dir = target_dir();
        let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug").to_string();
        let root = dir.parent().expect("target root").to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "mixgraph-plugins", "-p", "mixgraph", "--target-dir"]).arg(&root);
        if profile == "release" {
            cmd.arg("--release");
        } else {
            cmd.args(["--features", "mixgraph-plugins/assert_process_allocs"]);
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building the plugin library failed");
    });
}

/// The plugin library built by this workspace (a `.clap` file is this library).
pub fn plugin_library() -> PathBuf {
    ensure_built();
    let path = target_dir().join("libmixgraph_plugins.so");
    assert!(path.exists(), "{} is missing after building it", path.display());
    path
}

pub struct Shared {
    state: OnceLock<Option<PluginState>>,
    params: OnceLock<Option<PluginParams>>,
    latency: OnceLock<Option<PluginLatency>>,
    /// Restart requests the plugin made.
    restarts: AtomicU32,
}

impl<'a> SharedHandler<'a> for Shared {
    fn initializing(&self, instance: InitializingPluginHandle<'a>) {
        let _ = self.state.set(instance.get_extension());
        let _ = self.params.set(instance.get_extension());
        let _ = self.latency.set(instance.get_extension());
    }
    fn request_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// The host's main thread: counts the plugin's "latency changed" calls.
#[derive(Default)]
pub struct Main {
    latency_changes: AtomicU32,
}

impl<'a> MainThreadHandler<'a> for Main {}

impl HostLatencyImpl for Main {
    fn changed(&self) {
        self.latency_changes.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = Main;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _: &Self::Shared<'_>) {
        builder.register::<HostLatency>();
    }
}

/// One plugin instance of the loaded library.
pub struct Plugin {
    // Field order: the instance must drop before the entry that made it.
    pub instance: PluginInstance<TestHost>,
    _entry: PluginEntry,
}

/// Frames per channel, planar stereo.
pub type Stereo = [Vec<f32>; 2];

impl Plugin {
    /// Loads the library and instantiates plugin `id`.
    pub fn load(id: &str) -> Plugin {
        // SAFETY: the library is this workspace's own plugin build.
        let entry = unsafe { PluginEntry::load(plugin_library()) }.expect("the CLAP entry loads");
        let host = HostInfo::new("mixgraph test host", "mixgraph", "https://example.invalid", "1.0").unwrap();
        let factory = entry.get_plugin_factory().expect("a plugin factory");
        let ids: Vec<String> =
            factory.plugin_descriptors().filter_map(|d| d.id().map(|i| i.to_string_lossy().into_owned())).collect();
        assert!(ids.iter().any(|i| i == id), "{id} not among {ids:?}");
        let cid = CString::new(id).unwrap();
        let instance = PluginInstance::<TestHost>::new(
            |_| Shared {
                state: OnceLock::new(),
                params: OnceLock::new(),
                latency: OnceLock::new(),
                restarts: AtomicU32::new(0),
            },
            |_| Main::default(),
            &entry,
            &cid,
            &host,
        )
        .expect("instance");
        Plugin { instance, _entry: entry }
    }

    /// The saved state (as a DAW stores it in a project).
    pub fn save_state(&mut self) -> Vec<u8> {
        let ext = self.instance.access_shared_handler(|h| *h.state.get().unwrap()).expect("state extension");
        let mut data = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut data).expect("state saves");
        data
    }

    /// Restores a saved state.
    pub fn load_state(&mut self, data: &[u8]) {
        let ext = self.instance.access_shared_handler(|h| *h.state.get().unwrap()).expect("state extension");
        ext.load(&self.instance.plugin_handle(), &mut std::io::Cursor::new(data)).expect("state loads");
    }

    /// Every parameter's (id, name).
    pub fn params(&mut self) -> Vec<(ClapId, String)> {
        let ext = self.instance.access_shared_handler(|h| *h.params.get().unwrap()).expect("params extension");
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                ext.get_info(&handle, i, &mut buffer)
                    .map(|info| (info.id, String::from_utf8_lossy(info.name).into_owned()))
            })
            .collect()
    }

    /// The id of the parameter named `name`.
    pub fn param_id(&mut self, name: &str) -> ClapId {
        let params = self.params();
        params.iter().find(|(_, n)| n == name).map(|(id, _)| *id).unwrap_or_else(|| panic!("no '{name}' in {params:?}"))
    }

    /// Runs the plugin's main-thread tasks, as a host does when the plugin
    /// asks for a callback (nice-plug applies a loaded state there).
    pub fn run_main_thread_tasks(&mut self) {
        for _ in 0..4 {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Restart requests and "latency changed" calls the plugin has made.
    pub fn restarts_and_latency_changes(&self) -> (u32, u32) {
        let restarts = self.instance.access_shared_handler(|h| h.restarts.load(Ordering::Relaxed));
        let changes = self.instance.access_handler(|m| m.latency_changes.load(Ordering::Relaxed));
        (restarts, changes)
    }

    /// The latency the plugin reports (valid while active).
    pub fn latency(&mut self) -> u32 {
        let ext = self.instance.access_shared_handler(|h| *h.latency.get().unwrap()).expect("latency extension");
        ext.get(&self.instance.plugin_handle())
    }

    /// Activates at `sample_rate` for blocks up to `max_block`, processes
    /// `input` (with `sidechain`, silent if `None`) in blocks of `blocks`
    /// (cycled), sending each `(frame, param, value)` at its frame, and
    /// returns the output and the latency reported while active.
    pub fn process(
        &mut self,
        sample_rate: f64,
        max_block: usize,
        input: &Stereo,
        sidechain: Option<&Stereo>,
        blocks: &[usize],
        changes: &[(usize, ClapId, f64)],
    ) -> (Stereo, u32) {
        let frames = input[0].len();
        let silent = [vec![0.0f32; frames], vec![0.0f32; frames]];
        let buses = [input, sidechain.unwrap_or(&silent)];
        self.run(sample_rate, max_block, frames, blocks, &buses, |range, events| {
            for (frame, id, value) in changes.iter().filter(|(f, _, _)| range.contains(f)) {
                events.push(&ParamValueEvent::new((frame - range.start) as u32, *id, Pckn::match_all(), *value));
            }
        })
    }

    /// Activates an instrument (no audio input) and plays `notes`, each
    /// `(frame, key, velocity)` with velocity 0 for a note off, for `frames`
    /// frames in blocks of `block`. Returns the output and the latency.
    pub fn play(
        &mut self,
        sample_rate: f64,
        block: usize,
        notes: &[(usize, u16, f64)],
        frames: usize,
    ) -> (Stereo, u32) {
        self.run(sample_rate, block, frames, &[block], &[], |range, events| {
            for (frame, key, velocity) in notes.iter().filter(|(f, _, _)| range.contains(f)) {
                let time = (frame - range.start) as u32;
                let pckn = Pckn::new(0u16, 0u16, *key, clack_host::events::Match::All);
                if *velocity > 0.0 {
                    events.push(&NoteOnEvent::new(time, pckn, *velocity));
                } else {
                    events.push(&NoteOffEvent::new(time, pckn, 0.0));
                }
            }
        })
    }

    /// The host loop: activate, then for each block (sizes cycled from
    /// `blocks`, at most `max_block`) the input buses' slices and the events
    /// `events_for` adds for the block's frame range; stereo out.
    fn run(
        &mut self,
        sample_rate: f64,
        max_block: usize,
        frames: usize,
        blocks: &[usize],
        buses: &[&Stereo],
        mut events_for: impl FnMut(std::ops::Range<usize>, &mut EventBuffer),
    ) -> (Stereo, u32) {
        let config = PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: max_block as u32 };
        let stopped = self.instance.activate(|_, _| (), config).expect("activates");
        let latency = self.latency();
        let mut processor = stopped.start_processing().expect("starts processing");
        let mut output: Stereo = [vec![0.0; frames], vec![0.0; frames]];
        let mut input_ports = AudioPorts::with_capacity(2 * buses.len(), buses.len());
        let mut output_ports = AudioPorts::with_capacity(2, 1);
        let (mut pos, mut k) = (0, 0);
        while pos < frames {
            let n = blocks[k % blocks.len()].min(frames - pos).min(max_block);
            let mut events = EventBuffer::new();
            events_for(pos..pos + n, &mut events);
            let mut slices: Vec<Vec<Vec<f32>>> =
                buses.iter().map(|bus| bus.iter().map(|c| c[pos..pos + n].to_vec()).collect()).collect();
            let ports = (&mut input_ports, &mut output_ports);
            process_block(&mut processor, ports, &mut slices, &mut output, pos..pos + n, &events, pos as u64);
            pos += n;
            k += 1;
        }
        let stopped = processor.stop_processing();
        self.instance.deactivate(stopped);
        (output, latency)
    }
}

/// One `process` call as a host makes it: `buses` (one stereo slice list per
/// input bus) in, frames `range` of `output` out, `events` in; `position` is
/// the steady time.
fn process_block(
    processor: &mut StartedPluginAudioProcessor<TestHost>,
    (input_ports, output_ports): (&mut AudioPorts, &mut AudioPorts),
    buses: &mut [Vec<Vec<f32>>],
    output: &mut Stereo,
    range: std::ops::Range<usize>,
    events: &EventBuffer,
    position: u64,
) {
    let inputs = input_ports.with_input_buffers(buses.iter_mut().map(|bus| AudioPortBuffer {
        latency: 0,
        channels: AudioPortBufferType::f32_input_only(bus.iter_mut().map(InputChannel::variable)),
    }));
    let (left, right) = output.split_at_mut(1);
    let mut outputs = output_ports.with_output_buffers([AudioPortBuffer {
        latency: 0,
        channels: AudioPortBufferType::f32_output_only([&mut left[0][range.clone()], &mut right[0][range]].into_iter()),
    }]);
    let mut out_events = EventBuffer::new();
    processor
        .process(
            &inputs,
            &mut outputs,
            &InputEvents::from_buffer(events),
            &mut OutputEvents::from_buffer(&mut out_events),
            Some(position),
            None,
        )
        .expect("processes");
}

/// A plugin activated and processing, for tests that act between blocks.
pub struct Session {
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    position: u64,
}

impl Plugin {
    /// Activates at `sample_rate` for blocks up to `max_block` and starts processing.
    pub fn start(&mut self, sample_rate: f64, max_block: u32) -> Session {
        let config = PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: max_block };
        let stopped = self.instance.activate(|_, _| (), config).expect("activates");
        Session { processor: Some(stopped.start_processing().expect("starts processing")), position: 0 }
    }
}

impl Session {
    /// Processes frames `range` of `input` (main bus; silent sidechain) in
    /// 512-frame blocks; returns the output of those frames.
    pub fn process(&mut self, _: &mut Plugin, input: &Stereo, range: std::ops::Range<usize>) -> Stereo {
        let processor = self.processor.as_mut().expect("processing");
        let frames = range.len();
        let mut output: Stereo = [vec![0.0; frames], vec![0.0; frames]];
        let mut input_ports = AudioPorts::with_capacity(4, 2);
        let mut output_ports = AudioPorts::with_capacity(2, 1);
        let mut pos = 0;
        while pos < frames {
            let n = (frames - pos).min(512);
            let at = range.start + pos;
            let main: Vec<Vec<f32>> = input.iter().map(|c| c[at..at + n].to_vec()).collect();
            let mut buses = [main, vec![vec![0.0; n]; 2]];
            let ports = (&mut input_ports, &mut output_ports);
            process_block(processor, ports, &mut buses, &mut output, pos..pos + n, &EventBuffer::new(), self.position);
            self.position += n as u64;
            pos += n;
        }
        output
    }

    /// Stops processing and deactivates.
    pub fn stop(mut self, plugin: &mut Plugin) {
        if let Some(processor) = self.processor.take() {
            plugin.instance.deactivate(processor.stop_processing());
        }
    }
}

/// Stereo test material: two detuned saw-like tones with noise, −12 dBFS-ish.
pub fn music(frames: usize, sample_rate: f64) -> Stereo {
    let hiss = [mixgraph_tests::noise(frames, 0.01, 1), mixgraph_tests::noise(frames, 0.01, 2)];
    let mut out: Stereo = [Vec::with_capacity(frames), Vec::with_capacity(frames)];
    for (i, (hl, hr)) in hiss[0].iter().zip(&hiss[1]).enumerate() {
        let t = i as f64 / sample_rate;
        let env = if (t * 2.0).fract() < 0.5 { 1.0 } else { 0.3 };
        let a = ((110.0 * t).fract() * 2.0 - 1.0) * 0.2 * env;
        let b = ((164.8 * t).fract() * 2.0 - 1.0) * 0.15;
        out[0].push((a + b) as f32 + hl);
        out[1].push((a * 0.8 + b * 1.1) as f32 + hr);
    }
    out
}
