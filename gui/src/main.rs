//! `mixgraph-studio`: the node editor in a window.

use clap::Parser;
use mixgraph_studio::Studio;
use mixgraph_studio::device::DevicePlayback;
use std::path::PathBuf;

/// The mixgraph node editor.
#[derive(Parser)]
#[command(name = "mixgraph-studio", version, about)]
struct Args {
    /// Graph file to open.
    file: Option<PathBuf>,
    /// Draw a few frames, write the window to this PNG file and quit (for CI).
    #[arg(long, value_name = "PATH")]
    screenshot: Option<PathBuf>,
    /// Start playing the graph at once.
    #[arg(long)]
    play: bool,
    /// Audio backend (JACK or ALSA; default: cpal's default).
    #[arg(long, value_name = "NAME")]
    audio_host: Option<String>,
    /// Frames per audio callback (default: the device's).
    #[arg(long, value_name = "FRAMES")]
    buffer: Option<u32>,
    /// Feed the default input device into the graph's inputs.
    #[arg(long)]
    input: bool,
    /// Do not open MIDI input ports.
    #[arg(long)]
    no_midi: bool,
}

/// The window: the editor plus the screenshot option.
struct App {
    studio: Studio,
    screenshot: Option<PathBuf>,
    frames: u32,
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.studio.ui(ui);
        let Some(path) = self.screenshot.clone() else { return };
        self.frames += 1;
        let ctx = ui.ctx().clone();
        // Let the layout settle (fonts, panel sizes) before the picture.
        if self.frames == 30 {
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(egui::UserData::default()));
        }
        let image = ctx.input(|i| {
            i.events.iter().find_map(|e| match e {
                egui::Event::Screenshot { image, .. } => Some(image.clone()),
                _ => None,
            })
        });
        if let Some(image) = image {
            match mixgraph_studio::screenshot::write_png(&image, &path) {
                Ok(()) => println!("wrote {} ({}x{})", path.display(), image.size[0], image.size[1]),
                Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ctx.request_repaint();
    }
}

fn main() -> eframe::Result<()> {
    let args = Args::parse();
    let mut device = DevicePlayback::default();
    device.play_on_start = args.play;
    device.settings.host = args.audio_host.clone();
    device.settings.buffer_frames = args.buffer;
    device.settings.input = args.input;
    device.settings.midi = !args.no_midi;
    let mut studio = Studio::with_playback(Box::new(device));
    if let Some(file) = &args.file {
        studio.open(file);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 800.0]).with_title("mixgraph studio"),
        ..Default::default()
    };
    eframe::run_native(
        "mixgraph studio",
        options,
        Box::new(move |_| Ok(Box::new(App { studio, screenshot: args.screenshot, frames: 0 }))),
    )
}
