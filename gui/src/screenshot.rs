//! Writes an egui screenshot to a PNG file (through a temporary file).

use std::path::Path;

/// Writes `image` (RGBA, row by row) to `path` as an 8-bit RGBA PNG.
///
/// # Errors
/// When the file cannot be written.
pub fn write_png(image: &egui::ColorImage, path: &Path) -> anyhow::Result<()> {
    let [width, height] = image.size;
    let tmp = path.with_extension("png.tmp");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let mut encoder = png::Encoder::new(file, width as u32, height as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
        writer.write_image_data(&bytes)?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}
