//! The transport of a file player on the canvas: Play, Pause and Stop
//! buttons and a seek bar over the whole file that follows the play
//! position, drawn from the player's `transport` meter while audio plays.
//! They edit the node's `transport` and `cue_s` parameters, so a transport
//! move is an edit like any other (heard at once, undoable, saved).

use egui::Ui;
use mixgraph_graph::{MeterData, NodeInfo};

/// The `transport` parameter's values.
const STOP: f32 = 0.0;
const PLAY: f32 = 1.0;
const PAUSE: f32 = 2.0;

fn index(info: &NodeInfo, id: &str) -> Option<usize> {
    info.params.iter().position(|p| p.id == id)
}

/// Draws the transport for a node whose meter reads `data` (a
/// [`MeterData::Transport`]); edits `params`. True when it drew.
pub fn controls(ui: &mut Ui, info: &NodeInfo, data: &MeterData, params: &mut [f32]) -> bool {
    let MeterData::Transport { position_s, length_s, playing } = data else { return false };
    let (Some(t), Some(c)) = (index(info, "transport"), index(info, "cue_s")) else { return false };
    ui.horizontal(|ui| {
        if ui.add_enabled(!playing, egui::Button::new("Play")).clicked() {
            params[t] = PLAY;
        }
        if ui.add_enabled(*playing, egui::Button::new("Pause")).clicked() {
            params[t] = PAUSE;
        }
        if ui.button("Stop").clicked() {
            params[t] = STOP;
        }
        ui.label(format!("{} / {}", crate::meters::clock(*position_s), crate::meters::clock(*length_s)));
    });
    let mut seek = *position_s;
    let slider = egui::Slider::new(&mut seek, 0.0..=length_s.max(0.001))
        .show_value(false)
        .text("seek")
        .custom_formatter(|v, _| crate::meters::clock(v));
    let response = ui.add(slider).on_hover_text("seek: sets the cue point and plays from there");
    if response.changed() {
        let max = info.params[c].range.bounds().1;
        params[c] = (seek as f32).clamp(0.0, max);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    fn player_info() -> NodeInfo {
        mixgraph_nodes::registry().create("io.file_player", &serde_json::json!({"path": "x.wav"})).unwrap().info()
    }

    #[test]
    fn the_buttons_and_the_seek_bar_set_the_players_parameters() {
        let info = player_info();
        let (t, c) = (index(&info, "transport").unwrap(), index(&info, "cue_s").unwrap());
        let data = MeterData::Transport { position_s: 30.0, length_s: 60.0, playing: true };
        let mut params: Vec<f32> = info.params.iter().map(|p| p.default).collect();
        params[t] = PLAY;
        let mut h = Harness::new_ui_state(
            move |ui, params: &mut Vec<f32>| {
                controls(ui, &info, &data, params);
            },
            params,
        );
        h.run();
        h.get_by_label("0:30.0 / 1:00.0");
        h.get_by_label("Pause").click();
        h.run();
        assert_eq!(h.state()[t], PAUSE);
        h.get_by_label("Stop").click();
        h.run();
        assert_eq!(h.state()[t], STOP);
        // The seek bar moves the cue from the play position.
        h.get_by_label("seek").focus();
        h.key_press(egui::Key::ArrowRight);
        h.run();
        let cue = h.state()[c];
        assert!(cue > 30.0 && cue <= 31.0, "cue {cue}");
    }
}
