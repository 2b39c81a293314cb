//! The `mixgraph` effect plugin: stereo in and out, a stereo sidechain
//! bus, and the graph the project saved (the default channel strip at
//! first).

use crate::params::GraphParams;
use crate::runner::GraphRunner;
use mixgraph_graph::macros::MAX_MACROS;
use nice_plug::prelude::*;
use std::sync::Arc;

/// The effect plugin.
pub struct MixgraphEffect {
    params: Arc<GraphParams>,
    runner: Option<GraphRunner>,
}

impl Default for MixgraphEffect {
    fn default() -> Self {
        MixgraphEffect { params: Arc::new(GraphParams::default()), runner: None }
    }
}

impl Plugin for MixgraphEffect {
    const NAME: &'static str = "mixgraph";
    const VENDOR: &'static str = "mixgraph";
    const URL: &'static str = "https://example.invalid/mixgraph";
    const EMAIL: &'static str = "mixgraph@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        aux_input_ports: &[new_nonzero_u32(2)],
        names: PortNames { aux_inputs: &["Sidechain"], ..PortNames::const_default() },
        ..AudioIOLayout::const_default()
    }];
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// Builds the saved graph for the host's rate and block size (all
    /// allocation happens here) and reports its latency.
    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let text = match self.params.graph.read() {
            Ok(text) => text.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let channels = layout.main_output_channels.map_or(2, |c| c.get() as usize);
        let built = GraphRunner::new(
            &text,
            "the plugin's graph",
            f64::from(config.sample_rate),
            config.max_buffer_size as usize,
            channels,
        );
        match built {
            Ok(runner) => {
                context.set_latency_samples(runner.latency());
                self.runner = Some(runner);
                true
            }
            Err(e) => {
                nice_error!("mixgraph: cannot run the saved graph: {e}");
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
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(runner) = &mut self.runner else { return ProcessStatus::Error("mixgraph: no graph is running") };
        for (i, m) in self.params.macros.iter().enumerate().take(MAX_MACROS) {
            runner.set_macro(i, m.position.value());
        }
        let frames = buffer.samples();
        let sidechain = aux.inputs.first_mut().map(|b| &*b.as_slice());
        runner.process(buffer.as_slice(), sidechain, frames, self.params.bypass.value());
        ProcessStatus::Tail(runner.latency().saturating_add(runner.tail()))
    }

    fn deactivate(&mut self) {
        self.runner = None;
    }
}

impl ClapPlugin for MixgraphEffect {
    const CLAP_ID: &'static str = "org.mixgraph.effect";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("A mixgraph node graph as an audio effect");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Stereo, ClapFeature::Mixing, ClapFeature::Mastering];
}

impl Vst3Plugin for MixgraphEffect {
    const VST3_CLASS_ID: [u8; 16] = *b"mixgraphEffect01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Dynamics];
}
