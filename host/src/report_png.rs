//! PNG copies of the report's SVG pictures, for places that show images but
//! not SVG (chat, issue trackers, slides). Rasterised by resvg with the
//! Ubuntu Light face that `epaint_default_fonts` carries, so the labels are
//! drawn the same on a machine without any installed fonts.

use anyhow::{Context, Result, anyhow};
use resvg::{tiny_skia, usvg};
use std::sync::OnceLock;

/// Pixels per SVG unit: twice the SVG's size, sharp on high-density screens.
const SCALE: f32 = 2.0;
/// The family name of the embedded face.
const FAMILY: &str = "Ubuntu";

/// Parser options with the embedded face as the only (and sans-serif) font.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = usvg::Options { font_family: FAMILY.to_string(), ..usvg::Options::default() };
        let fonts = options.fontdb_mut();
        fonts.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
        fonts.set_sans_serif_family(FAMILY);
        options
    })
}

/// `svg` rendered on white at twice its size, encoded as PNG.
///
/// # Errors
/// When the SVG does not parse or has no area.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let tree = usvg::Tree::from_str(svg, options()).context("the picture's SVG does not parse")?;
    let size = tree.size().to_int_size().scale_by(SCALE).ok_or_else(|| anyhow!("the picture has no area"))?;
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| anyhow!("the picture has no area"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(SCALE, SCALE), &mut pixmap.as_mut());
    pixmap.encode_png().context("cannot encode the picture as PNG")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a PNG into RGBA pixels and its size.
    fn decode(png: &[u8]) -> (Vec<u8>, u32, u32) {
        let pixmap = tiny_skia::Pixmap::decode_png(png).expect("a PNG");
        (pixmap.data().to_vec(), pixmap.width(), pixmap.height())
    }

    /// Dark pixels (any channel under 128) inside the rectangle.
    fn dark_pixels(rgba: &[u8], width: u32, x: std::ops::Range<u32>, y: std::ops::Range<u32>) -> usize {
        y.flat_map(|row| x.clone().map(move |col| ((row * width + col) * 4) as usize))
            .filter(|&i| rgba[i..i + 3].iter().any(|c| *c < 128))
            .count()
    }

    #[test]
    fn shapes_and_text_are_drawn_at_twice_the_size() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" font-family="sans-serif" font-size="20">
            <rect x="150" y="10" width="40" height="40" fill="#1f77b4"/>
            <text x="10" y="40">Loudness</text></svg>"##;
        let (rgba, width, height) = decode(&svg_to_png(svg).unwrap());
        assert_eq!((width, height), (400, 120));
        // The square fills its 80 × 80 pixels in its colour.
        let i = ((60 * width + 340) * 4) as usize;
        assert_eq!(&rgba[i..i + 4], &[0x1f, 0x77, 0xb4, 255]);
        // The word is drawn with the embedded face: a few hundred dark
        // pixels where it stands, none in the empty strip under it.
        let ink = dark_pixels(&rgba, width, 20..280, 40..90);
        assert!(ink > 300, "only {ink} dark pixels where the text is");
        assert_eq!(dark_pixels(&rgba, width, 20..280, 100..120), 0);
    }

    #[test]
    fn a_broken_picture_is_an_error() {
        assert!(svg_to_png("<svg").is_err());
        assert!(svg_to_png(r#"<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"></svg>"#).is_err());
    }
}
