//! Per-role starting points, as a mix engineer sets up a session before
//! fine-tuning: where each role sits in the balance, how low it reaches,
//! one tonal move, how it is compressed, and who it makes room for.

use mixgraph_analysis::Role;

/// A compressor's settings relative to the stem's own level.
#[derive(Clone, Copy, Debug)]
pub struct Compression {
    /// Threshold above the stem's RMS level, dB.
    pub above_rms_db: f64,
    /// Ratio.
    pub ratio: f64,
    /// Attack, ms.
    pub attack_ms: f64,
    /// Release, ms.
    pub release_ms: f64,
    /// Knee width, dB.
    pub knee_db: f64,
}

/// One EQ band as the graph file names it.
#[derive(Clone, Copy, Debug)]
pub struct Tone {
    /// `eq.parametric` band type.
    pub kind: &'static str,
    /// Frequency, Hz.
    pub hz: f64,
    /// Gain, dB.
    pub gain_db: f64,
    /// Q.
    pub q: f64,
}

/// A role's starting point.
#[derive(Clone, Copy, Debug)]
pub struct RoleSetup {
    /// Loudness the stem is trimmed to, LUFS: the balance. The lead sits on
    /// top at −20; the rest below it by role; the sum lands around −16 to
    /// −14 LUFS before mastering.
    pub target_lufs: f64,
    /// High-pass (low cut) frequency, Hz, and slope in dB/oct.
    pub low_cut: (f64, u32),
    /// One tonal move.
    pub tone: Option<Tone>,
    /// Compression.
    pub compression: Compression,
    /// Who gets priority when two stems mask each other: the lower one
    /// takes the complementary cut.
    pub priority: u8,
}

/// The setup of `role`.
pub fn setup(role: Role) -> RoleSetup {
    let vocal = Compression { above_rms_db: 4.0, ratio: 3.0, attack_ms: 5.0, release_ms: 80.0, knee_db: 6.0 };
    let drum = Compression { above_rms_db: 8.0, ratio: 4.0, attack_ms: 10.0, release_ms: 100.0, knee_db: 6.0 };
    let music = Compression { above_rms_db: 5.0, ratio: 2.0, attack_ms: 20.0, release_ms: 200.0, knee_db: 8.0 };
    let gentle = Compression { above_rms_db: 6.0, ratio: 1.5, attack_ms: 30.0, release_ms: 300.0, knee_db: 10.0 };
    let bell = |hz, gain_db, q| Some(Tone { kind: "bell", hz, gain_db, q });
    let (target_lufs, low_cut, tone, compression, priority) = match role {
        Role::Lead => (-20.0, (90.0, 24), bell(3000.0, 1.5, 1.0), vocal, 10),
        Role::Double => {
            (-27.0, (150.0, 24), Some(Tone { kind: "high_shelf", hz: 8000.0, gain_db: -2.0, q: 0.7 }), vocal, 6)
        }
        Role::Harmony => (-27.0, (150.0, 24), bell(3000.0, -1.5, 1.0), vocal, 5),
        Role::Adlib => (-26.0, (150.0, 24), bell(4000.0, 1.0, 1.0), vocal, 5),
        Role::Beat => (-20.0, (25.0, 12), None, gentle, 7),
        Role::Drums => (-21.0, (30.0, 12), bell(400.0, -2.0, 1.2), drum, 7),
        Role::Kick => (-23.0, (30.0, 24), bell(350.0, -3.0, 1.2), drum, 9),
        Role::Snare => (-24.0, (80.0, 12), bell(900.0, -1.5, 1.5), drum, 7),
        Role::Hats => (-30.0, (250.0, 12), None, gentle, 3),
        Role::Percussion => (-29.0, (150.0, 12), None, gentle, 3),
        Role::Bass => (
            -22.0,
            (30.0, 24),
            bell(250.0, -1.5, 1.0),
            Compression { ratio: 4.0, attack_ms: 20.0, release_ms: 150.0, ..music },
            8,
        ),
        Role::Keys => (-25.0, (80.0, 12), bell(300.0, -1.5, 1.0), music, 4),
        Role::Guitar => (-25.0, (90.0, 12), bell(300.0, -2.0, 1.0), music, 4),
        Role::Pads => {
            (-28.0, (150.0, 12), Some(Tone { kind: "low_shelf", hz: 250.0, gain_db: -2.0, q: 0.7 }), gentle, 2)
        }
        Role::Synth => (-24.0, (120.0, 12), None, music, 4),
        Role::Strings => (-26.0, (100.0, 12), None, gentle, 3),
        Role::Brass => (-26.0, (100.0, 12), None, music, 3),
        Role::Fx => (-30.0, (100.0, 12), None, gentle, 1),
        Role::Other => (-25.0, (40.0, 12), None, music, 3),
    };
    RoleSetup { target_lufs, low_cut, tone, compression, priority }
}

/// Roles that make room for the lead (ducked a little while it plays).
pub fn ducks_under_lead(role: Role) -> bool {
    matches!(role, Role::Keys | Role::Guitar | Role::Pads | Role::Synth | Role::Strings | Role::Brass | Role::Beat)
}

/// The roles that key `role`'s ducking, in order of preference: bass
/// ducks under the kick (else the drums), music under the lead.
pub fn ducking_keys(role: Role) -> &'static [Role] {
    match role {
        Role::Bass => &[Role::Kick, Role::Drums],
        r if ducks_under_lead(r) => &[Role::Lead],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_sits_on_top_and_wins_masking() {
        let all = [
            Role::Double,
            Role::Harmony,
            Role::Adlib,
            Role::Beat,
            Role::Drums,
            Role::Kick,
            Role::Snare,
            Role::Hats,
            Role::Percussion,
            Role::Bass,
            Role::Keys,
            Role::Guitar,
            Role::Pads,
            Role::Synth,
            Role::Strings,
            Role::Brass,
            Role::Fx,
            Role::Other,
        ];
        let lead = setup(Role::Lead);
        for role in all {
            let s = setup(role);
            assert!(s.target_lufs <= lead.target_lufs, "{role:?} louder than the lead");
            assert!(s.priority < lead.priority, "{role:?} outranks the lead");
        }
        assert_eq!(ducking_keys(Role::Bass), &[Role::Kick, Role::Drums]);
        assert_eq!(ducking_keys(Role::Pads), &[Role::Lead]);
        assert!(ducking_keys(Role::Kick).is_empty());
    }
}
