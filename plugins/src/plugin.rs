//! The plugin shell shared by the effect and the instrument: a graph from
//! the saved state, built in `activate`, run on the audio thread by a
//! [`SwapRunner`] that the editor can hand new graphs to.

use crate::control::{Control, Shared, StreamShape};
use crate::params::GraphParams;
use crate::runner::MAX_NOTE_EVENTS;
use crate::swap::SwapRunner;
use mixgraph_graph::macros::MAX_MACROS;
use mixgraph_graph::{NoteEvent as GraphNote, NoteEventKind};
use nice_plug::prelude::*;
use std::marker::PhantomData;
use std::sync::Arc;

/// What distinguishes one mixgraph plugin from another.
pub trait PluginKind: Send + 'static {
    /// Name shown to the host.
    const NAME: &'static str;
    /// The graph a new instance starts with.
    const DEFAULT_GRAPH: &'static str;
    /// Buses.
    const LAYOUTS: &'static [AudioIOLayout];
    /// Which MIDI it takes.
    const MIDI: MidiConfig;
    /// CLAP id (reverse domain).
    const CLAP_ID: &'static str;
    /// One line for the host's browser.
    const DESCRIPTION: &'static str;
    /// CLAP features.
    const CLAP_FEATURES: &'static [ClapFeature];
    /// VST3 class id.
    const VST3_CLASS_ID: [u8; 16];
    /// VST3 categories.
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory];
}

/// A mixgraph plugin of kind `K`.
pub struct GraphPlugin<K: PluginKind> {
    shared: Arc<Shared>,
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    runner: Option<SwapRunner>,
    notes: Vec<GraphNote>,
    kind: PhantomData<K>,
}

impl<K: PluginKind> Default for GraphPlugin<K> {
    fn default() -> Self {
        let params = Arc::new(GraphParams::for_graph(K::DEFAULT_GRAPH));
        GraphPlugin {
            editor_state: crate::editor::editor_state(),
            shared: Arc::new(Shared::new(params)),
            runner: None,
            notes: Vec::with_capacity(MAX_NOTE_EVENTS),
            kind: PhantomData,
        }
    }
}

/// The graph's form of a host note event, if it has one.
fn graph_note<S>(event: NoteEvent<S>) -> Option<GraphNote> {
    let kind = match event {
        NoteEvent::NoteOn { channel, key, velocity, .. } => {
            NoteEventKind::NoteOn { channel: channel.number().unwrap_or(0), note: key.number()?, velocity }
        }
        NoteEvent::NoteOff { channel, key, .. } => {
            NoteEventKind::NoteOff { channel: channel.number().unwrap_or(0), note: key.number()? }
        }
        NoteEvent::MidiCC { channel, cc, value, .. } => NoteEventKind::Controller { channel, cc, value },
        _ => return None,
    };
    Some(GraphNote { frame: event.timing(), kind })
}

impl<K: PluginKind> Plugin for GraphPlugin<K> {
    const NAME: &'static str = K::NAME;
    const VENDOR: &'static str = "mixgraph";
    const URL: &'static str = "https://example.invalid/mixgraph";
    const EMAIL: &'static str = "mixgraph@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = K::LAYOUTS;
    const MIDI_INPUT: MidiConfig = K::MIDI;
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = nice_plug_egui::EguiEditor<crate::editor::EditorWindow>;

    fn params(&self) -> Arc<dyn Params> {
        self.shared.params.clone()
    }

    fn editor(&mut self, _: AsyncExecutor<Self>) -> Option<Self::Editor> {
        crate::editor::create(self.shared.clone(), self.editor_state.clone(), K::NAME)
    }

    /// Builds the saved graph for the host's rate and block size (all
    /// allocation happens here), reports its latency, and gives the editor
    /// the graph's control end. Also called when the host restores state.
    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let text = self.shared.graph_text();
        let shape = StreamShape {
            sample_rate: f64::from(config.sample_rate),
            max_block: config.max_buffer_size as usize,
            channels: layout.main_output_channels.map_or(2, |c| c.get() as usize),
        };
        match Control::start(&text, shape) {
            Ok((control, runner)) => {
                context.set_latency_samples(control.latency());
                *self.shared.control() = Some(control);
                self.runner = Some(runner);
                true
            }
            Err(e) => {
                nice_error!("mixgraph: cannot run the saved graph: {e}");
                *self.shared.control() = None;
                self.runner = None;
                false
            }
        }
    }

    fn reset(&mut self) {
        if let Some(runner) = &mut self.runner {
            runner.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(runner) = &mut self.runner else { return ProcessStatus::Error("mixgraph: no graph is running") };
        // A graph from the editor: the host hears of a new latency (and
        // restarts the plugin when its format needs that).
        if let Some(latency) = runner.receive() {
            context.set_latency_samples(latency);
        }
        let params = &self.shared.params;
        for (i, m) in params.macros.iter().enumerate().take(MAX_MACROS) {
            runner.current().set_macro(i, m.position.value());
        }
        self.notes.clear();
        while let Some(event) = context.next_event() {
            if let Some(note) = graph_note(event)
                && self.notes.len() < self.notes.capacity()
            {
                self.notes.push(note);
            }
        }
        let frames = buffer.samples();
        let sidechain = aux.inputs.first_mut().map(|b| &*b.as_slice());
        runner.process(buffer.as_slice(), sidechain, &self.notes, frames, params.bypass.value());
        self.shared.peaks.record(buffer.as_slice());
        let current = runner.current();
        ProcessStatus::Tail(current.latency().saturating_add(current.tail()))
    }

    fn deactivate(&mut self) {
        *self.shared.control() = None;
        self.runner = None;
    }
}

impl<K: PluginKind> ClapPlugin for GraphPlugin<K> {
    const CLAP_ID: &'static str = K::CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(K::DESCRIPTION);
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = K::CLAP_FEATURES;
}

impl<K: PluginKind> Vst3Plugin for GraphPlugin<K> {
    const VST3_CLASS_ID: [u8; 16] = K::VST3_CLASS_ID;
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = K::VST3_SUBCATEGORIES;
}

/// The effect: stereo in and out, a stereo sidechain, notes to the graph.
pub struct Effect;

impl PluginKind for Effect {
    const NAME: &'static str = "mixgraph";
    const DEFAULT_GRAPH: &'static str = crate::DEFAULT_EFFECT_GRAPH;
    const LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        aux_input_ports: &[new_nonzero_u32(2)],
        names: PortNames { aux_inputs: &["Sidechain"], ..PortNames::const_default() },
        ..AudioIOLayout::const_default()
    }];
    const MIDI: MidiConfig = MidiConfig::Basic;
    const CLAP_ID: &'static str = "org.mixgraph.effect";
    const DESCRIPTION: &'static str = "A mixgraph node graph as an audio effect";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Stereo, ClapFeature::Mixing, ClapFeature::Mastering];
    const VST3_CLASS_ID: [u8; 16] = *b"mixgraphEffect01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Dynamics];
}

/// The instrument: MIDI in, stereo out, for generator graphs.
pub struct Instrument;

impl PluginKind for Instrument {
    const NAME: &'static str = "mixgraph Instrument";
    const DEFAULT_GRAPH: &'static str = crate::DEFAULT_INSTRUMENT_GRAPH;
    const LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: None,
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];
    const MIDI: MidiConfig = MidiConfig::MidiCCs;
    const CLAP_ID: &'static str = "org.mixgraph.instrument";
    const DESCRIPTION: &'static str = "A mixgraph generator graph played by MIDI";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::Instrument, ClapFeature::Synthesizer, ClapFeature::Stereo];
    const VST3_CLASS_ID: [u8; 16] = *b"mixgraphInstrum1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Instrument, Vst3SubCategory::Synth];
}

/// The effect plugin.
pub type MixgraphEffect = GraphPlugin<Effect>;
/// The instrument plugin.
pub type MixgraphInstrument = GraphPlugin<Instrument>;
