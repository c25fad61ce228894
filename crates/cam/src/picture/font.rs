//! A tiny built-in bitmap font, for labelling pictures without a font file.

use image::{Rgb, RgbImage};

/// Glyph width in font pixels.
const GLYPH_WIDTH: u32 = 5;
/// Glyph height in font pixels.
const GLYPH_HEIGHT: u32 = 7;
/// Horizontal distance between the left edges of consecutive characters, in font pixels: the
/// glyph plus one blank column.
const GLYPH_ADVANCE: u32 = GLYPH_WIDTH + 1;

/// Drawn for every character outside printable ASCII (`' '..='~'`): a hollow box.
const BOX: [u8; 7] = [
    0b11111, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11111,
];

/// 5×7 glyphs for ASCII 32 (space) to 126 (`~`), one `u8` per row from the top; bit 4 is the
/// leftmost column.
#[rustfmt::skip]
const GLYPHS: [[u8; 7]; 95] = [
    [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000], // space
    [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00000, 0b00100], // !
    [0b01010, 0b01010, 0b01010, 0b00000, 0b00000, 0b00000, 0b00000], // "
    [0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010], // #
    [0b00100, 0b01111, 0b10100, 0b01110, 0b00101, 0b11110, 0b00100], // $
    [0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011], // %
    [0b01100, 0b10010, 0b10100, 0b01000, 0b10101, 0b10010, 0b01101], // &
    [0b01100, 0b00100, 0b01000, 0b00000, 0b00000, 0b00000, 0b00000], // '
    [0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010], // (
    [0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000], // )
    [0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000], // *
    [0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000], // +
    [0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000], // ,
    [0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000], // -
    [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100], // .
    [0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000], // /
    [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110], // 0
    [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], // 1
    [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111], // 2
    [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110], // 3
    [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010], // 4
    [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110], // 5
    [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110], // 6
    [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000], // 7
    [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110], // 8
    [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100], // 9
    [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000], // :
    [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b00100, 0b01000], // ;
    [0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010], // <
    [0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000], // =
    [0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000], // >
    [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100], // ?
    [0b01110, 0b10001, 0b00001, 0b01101, 0b10101, 0b10101, 0b01110], // @
    [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001], // A
    [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110], // B
    [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110], // C
    [0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100], // D
    [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111], // E
    [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000], // F
    [0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111], // G
    [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001], // H
    [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], // I
    [0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100], // J
    [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001], // K
    [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111], // L
    [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001], // M
    [0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001], // N
    [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110], // O
    [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000], // P
    [0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101], // Q
    [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001], // R
    [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110], // S
    [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100], // T
    [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110], // U
    [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100], // V
    [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010], // W
    [0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001], // X
    [0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100], // Y
    [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111], // Z
    [0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110], // [
    [0b00000, 0b10000, 0b01000, 0b00100, 0b00010, 0b00001, 0b00000], // \\
    [0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110], // ]
    [0b00100, 0b01010, 0b10001, 0b00000, 0b00000, 0b00000, 0b00000], // ^
    [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111], // _
    [0b01000, 0b00100, 0b00010, 0b00000, 0b00000, 0b00000, 0b00000], // `
    [0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111], // a
    [0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110], // b
    [0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110], // c
    [0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111], // d
    [0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110], // e
    [0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000], // f
    [0b00000, 0b01111, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110], // g
    [0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001], // h
    [0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110], // i
    [0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100], // j
    [0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010], // k
    [0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110], // l
    [0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001], // m
    [0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001], // n
    [0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110], // o
    [0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000], // p
    [0b00000, 0b00000, 0b01101, 0b10011, 0b01111, 0b00001, 0b00001], // q
    [0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000], // r
    [0b00000, 0b00000, 0b01110, 0b10000, 0b01110, 0b00001, 0b11110], // s
    [0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110], // t
    [0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101], // u
    [0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100], // v
    [0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010], // w
    [0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001], // x
    [0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110], // y
    [0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111], // z
    [0b00010, 0b00100, 0b00100, 0b01000, 0b00100, 0b00100, 0b00010], // {
    [0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100], // |
    [0b01000, 0b00100, 0b00100, 0b00010, 0b00100, 0b00100, 0b01000], // }
    [0b00000, 0b00000, 0b01000, 0b10101, 0b00010, 0b00000, 0b00000], // ~
];

/// The rows of `c`'s glyph: its own for printable ASCII, [`BOX`] for anything else.
fn glyph(c: char) -> &'static [u8; 7] {
    match c {
        ' '..='~' => &GLYPHS[c as usize - ' ' as usize],
        _ => &BOX,
    }
}

/// The `(width, height)` in pixels that [`draw_text`] covers for `text` at `scale`.
///
/// Each character is a 5×7 glyph scaled by `scale`, characters are `6 · scale` pixels apart
/// (one blank column between them, none after the last), so `n` characters are
/// `(6n − 1) · scale` wide and `7 · scale` high. Empty text is `(0, 7 · scale)`. Saturates
/// instead of overflowing.
///
/// ```
/// assert_eq!(cyborg_cam::text_size("Grad-CAM", 2), (94, 14));
/// ```
pub fn text_size(text: &str, scale: u32) -> (u32, u32) {
    let count = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    let width = (count.saturating_mul(GLYPH_ADVANCE).saturating_sub(1)).saturating_mul(scale);
    (width, GLYPH_HEIGHT.saturating_mul(scale))
}

/// Writes `text` onto `image` with its top-left corner at `(x, y)`, in the built-in 5×7
/// bitmap font, each font pixel a `scale × scale` square of `color`.
///
/// Only the glyphs' set pixels are painted (the background shows through). The font covers
/// printable ASCII (`' '..='~'`); any other character, a newline included, draws as a hollow
/// box. One line only; see [`text_size`] for the extent. Pixels outside the image are
/// skipped, so text may start or run past any border, and `scale = 0` draws nothing.
///
/// ```
/// use cyborg_cam::{draw_text, RgbImage};
///
/// let mut image = RgbImage::new(8, 8);
/// draw_text(&mut image, 1, 1, "-", 1, [255, 255, 255]);
/// // '-' is the middle row of its glyph: five pixels at y = 1 + 3.
/// assert_eq!(image.get_pixel(1, 4).0, [255, 255, 255]);
/// assert_eq!(image.get_pixel(5, 4).0, [255, 255, 255]);
/// assert_eq!(image.get_pixel(6, 4).0, [0, 0, 0]);
/// ```
pub fn draw_text(image: &mut RgbImage, x: u32, y: u32, text: &str, scale: u32, color: [u8; 3]) {
    let (width, height) = (u64::from(image.width()), u64::from(image.height()));
    let scale = u64::from(scale);
    let advance = u64::from(GLYPH_ADVANCE) * scale;
    for (index, c) in text.chars().enumerate() {
        let left = u64::from(x) + index as u64 * advance;
        if left >= width || scale == 0 {
            break;
        }
        for (row, bits) in (0..).zip(glyph(c)) {
            let top = u64::from(y) + row * scale;
            let rows = top.min(height)..(top + scale).min(height);
            for column in 0..u64::from(GLYPH_WIDTH) {
                if bits & (1 << (GLYPH_WIDTH as u64 - 1 - column)) == 0 {
                    continue;
                }
                let start = left + column * scale;
                let columns = start.min(width)..(start + scale).min(width);
                for py in rows.clone() {
                    for px in columns.clone() {
                        // Both below the image's u32 sides, so the casts are exact.
                        image.put_pixel(px as u32, py as u32, Rgb(color));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The painted pixels of `image` as rows of `#` and `.`.
    fn ascii_art(image: &RgbImage) -> Vec<String> {
        (0..image.height())
            .map(|y| {
                (0..image.width())
                    .map(|x| {
                        if image.get_pixel(x, y).0 == [0, 0, 0] {
                            '.'
                        } else {
                            '#'
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn covers_printable_ascii_with_distinct_glyphs() {
        for c in ' '..='~' {
            assert_ne!(glyph(c), &BOX, "{c:?} has no glyph of its own");
            assert!(
                glyph(c).iter().all(|row| *row < 1 << GLYPH_WIDTH),
                "{c:?} is too wide"
            );
        }
        let mut seen: Vec<_> = GLYPHS.to_vec();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), GLYPHS.len(), "two characters share a glyph");
        assert_eq!(glyph('é'), &BOX);
        assert_eq!(glyph('\n'), &BOX);
    }

    #[test]
    fn draws_a_glyph_at_its_pixels() {
        let mut image = RgbImage::new(7, 9);
        draw_text(&mut image, 1, 1, "A", 1, [255, 0, 0]);
        assert_eq!(
            ascii_art(&image),
            [
                ".......", "..###..", ".#...#.", ".#...#.", ".#####.", ".#...#.", ".#...#.",
                ".#...#.", ".......",
            ]
        );
        assert_eq!(image.get_pixel(2, 1).0, [255, 0, 0]);
    }

    #[test]
    fn scale_two_doubles_every_font_pixel_and_spaces_characters() {
        let mut image = RgbImage::new(24, 14);
        draw_text(&mut image, 0, 0, "..", 2, [9, 9, 9]);
        // '.' sets columns 1-2 of rows 5-6; at scale 2 that is x 2..6, y 10..14, and the
        // second character starts 12 pixels later.
        let painted: Vec<(u32, u32)> = image
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0 != [0, 0, 0])
            .map(|(x, y, _)| (x, y))
            .collect();
        let expected: Vec<(u32, u32)> = (10..14)
            .flat_map(|y| [2, 3, 4, 5, 14, 15, 16, 17].map(|x| (x, y)))
            .collect();
        assert_eq!(painted, expected);
    }

    #[test]
    fn unknown_characters_draw_a_box() {
        let mut image = RgbImage::new(5, 7);
        draw_text(&mut image, 0, 0, "€", 1, [1, 1, 1]);
        assert_eq!(
            ascii_art(&image),
            [
                "#####", "#...#", "#...#", "#...#", "#...#", "#...#", "#####"
            ]
        );
    }

    #[test]
    fn clips_at_every_border_without_panicking() {
        let mut image = RgbImage::new(4, 4);
        draw_text(&mut image, 2, 2, "Hello, world", 3, [255, 255, 255]);
        draw_text(
            &mut image,
            u32::MAX,
            u32::MAX,
            "x",
            u32::MAX,
            [255, 255, 255],
        );
        draw_text(&mut image, 0, u32::MAX - 1, "#", u32::MAX, [255, 255, 255]);
        draw_text(&mut image, 0, 0, "|", 0, [255, 255, 255]);
        // 'H' at scale 3 from (2, 2): its first column (x 2..5) is set on every row, the
        // rest is off the image.
        assert_eq!(ascii_art(&image), ["....", "....", "..##", "..##"]);
    }

    #[test]
    fn text_size_counts_characters_not_bytes() {
        assert_eq!(text_size("", 1), (0, 7));
        assert_eq!(text_size("0", 1), (5, 7));
        assert_eq!(text_size("naïve", 3), (87, 21));
        assert_eq!(text_size("overflow", u32::MAX), (u32::MAX, u32::MAX));
    }
}
