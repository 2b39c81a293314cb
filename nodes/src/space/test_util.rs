//! Test helpers shared by the space nodes.

use crate::testing::{NodeHarness, run};

/// Renders with `block`-frame blocks, applying `changes` (frame, param, value)
/// at block starts.
pub(crate) fn render_with_changes(
    h: &NodeHarness,
    input: &[Vec<f32>],
    block: usize,
    changes: &[(usize, &str, f32)],
) -> Vec<Vec<f32>> {
    let (mut engine, mut ex) = h.engine();
    let n = input[0].len();
    let mut out = vec![Vec::new(); 2];
    for start in (0..n).step_by(block) {
        for (frame, id, value) in changes {
            if *frame == start {
                engine.set_param(&format!("node.{id}"), *value).unwrap();
            }
        }
        let end = (start + block).min(n);
        let chunk: Vec<Vec<f32>> = input.iter().map(|c| c[start..end].to_vec()).collect();
        for (o, c) in out.iter_mut().zip(run(&mut ex, &chunk, &[block])) {
            o.extend_from_slice(&c);
        }
    }
    out
}
