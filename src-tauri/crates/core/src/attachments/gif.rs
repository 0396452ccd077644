//! An animated GIF's first frame, as a GIF of its own.
//!
//! Models take one still image; the servers decode a GIF's first frame and ignore the rest
//! (llama.cpp through stb_image, Ollama and LM Studio likewise). Keeping only that frame makes
//! what is stored, shown in the chat, exported and sent the image the model sees, and leaves the
//! other frames out of every request that carries it.
//!
//! The cut is made on the file's block structure (GIF89a, section 17 onwards), without decoding
//! any pixels: the header, the screen descriptor and its global colour table, the graphic control
//! extension that applies to the first image (its transparency), the first image whole (its
//! descriptor, local colour table and compressed data), then the trailer. A frame drawn on a
//! blank screen is what the first frame of an animation shows, so nothing else is needed.
//! Application extensions (the looping count), comments and plain-text blocks are left out.

/// The first frame of `bytes` when it is a GIF of more than one frame. `None` when there is
/// nothing to cut (one frame) or the structure cannot be followed (a damaged file is then sent as
/// it is, as any other image is, and the server says what it makes of it).
pub fn first_frame(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut r = Reader { bytes, at: 0 };
    let signature = r.take(6)?;
    if signature != b"GIF87a" && signature != b"GIF89a" {
        return None;
    }
    let screen = r.take(7)?;
    let global_table = colour_table_len(screen[4]);
    r.take(global_table)?;
    let preamble_end = r.at;

    // The graphic control extension in force for the next image: it is kept with it.
    let mut control: Option<&[u8]> = None;
    let frame = loop {
        match r.byte()? {
            0x21 => {
                let start = r.at - 1;
                let label = r.byte()?;
                r.sub_blocks()?;
                if label == 0xF9 {
                    control = Some(&bytes[start..r.at]);
                }
            }
            0x2C => {
                let start = r.at - 1;
                let descriptor = r.take(9)?;
                r.take(colour_table_len(descriptor[8]))?;
                r.byte()?; // the LZW minimum code size
                r.sub_blocks()?;
                break &bytes[start..r.at];
            }
            // The trailer (or anything else) before any image: nothing to cut.
            _ => return None,
        }
    };

    // Is there another image after this one? Only then is there anything to cut.
    loop {
        match r.byte() {
            Some(0x21) => {
                r.byte()?;
                r.sub_blocks()?;
            }
            Some(0x2C) => break,
            // The trailer, the end of the file, or bytes past the last block: one frame.
            _ => return None,
        }
    }

    let mut out = Vec::with_capacity(preamble_end + frame.len() + 9);
    out.extend_from_slice(&bytes[..preamble_end]);
    if let Some(control) = control {
        out.extend_from_slice(control);
    }
    out.extend_from_slice(frame);
    out.push(0x3B);
    Some(out)
}

/// The bytes of the colour table a packed-fields byte announces (none when its top bit is clear).
fn colour_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// Skips data sub-blocks up to and including the empty one that ends them.
    fn sub_blocks(&mut self) -> Option<()> {
        loop {
            let len = self.byte()? as usize;
            if len == 0 {
                return Some(());
            }
            self.take(len)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"GIF89a\x02\0\x02\0\x80\0\0";
    /// The global colour table of two colours announced by the header's packed byte 0x80.
    const PALETTE: &[u8] = b"\0\0\0\xff\xff\xff";
    const LOOP: &[u8] = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\0";
    const COMMENT: &[u8] = b"\x21\xfe\x05hello\0";

    fn control(delay: u8) -> Vec<u8> {
        vec![0x21, 0xF9, 0x04, 0x05, delay, 0, 0x01, 0]
    }

    /// A 2×2 image; `local` gives it a local colour table of two colours.
    fn image(fill: u8, local: bool) -> Vec<u8> {
        let mut out = vec![0x2C, 0, 0, 0, 0, 2, 0, 2, 0, if local { 0x80 } else { 0 }];
        if local {
            out.extend_from_slice(b"\x10\x20\x30\x40\x50\x60");
        }
        // The LZW code size, then the data in two sub-blocks, then the terminator.
        out.extend_from_slice(&[0x02, 0x02, 0x84, fill, 0x01, 0x05, 0x00]);
        out
    }

    fn gif(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = [HEADER, PALETTE].concat();
        for part in parts {
            out.extend_from_slice(part);
        }
        out.push(0x3B);
        out
    }

    #[test]
    fn an_animation_keeps_its_first_frame_with_its_control_block() {
        let (first, second) = (image(0x11, true), image(0x22, false));
        let animated = gif(&[LOOP, &control(10), &first, COMMENT, &control(20), &second]);
        let cut = first_frame(&animated).expect("two frames");
        assert_eq!(cut, gif(&[&control(10), &first]));
        // What is left is one frame: nothing more to cut.
        assert_eq!(first_frame(&cut), None);
    }

    #[test]
    fn a_first_frame_without_a_control_block_is_kept_alone() {
        let animated = gif(&[&image(1, false), &control(5), &image(2, false)]);
        assert_eq!(first_frame(&animated), Some(gif(&[&image(1, false)])));
        // The control block of a later frame is not carried back to the first.
        let cut = first_frame(&animated).unwrap();
        assert!(!cut.windows(2).any(|w| w == [0x21, 0xF9]));
    }

    #[test]
    fn one_frame_and_damaged_files_are_left_as_they_are() {
        let still = gif(&[LOOP, &control(0), &image(1, false), COMMENT]);
        assert_eq!(first_frame(&still), None);
        let two = gif(&[&image(1, false), &image(2, false)]);
        // Cut anywhere before the second image starts: the structure cannot be followed, or
        // there is one frame; either way nothing is changed.
        let second_at = HEADER.len() + PALETTE.len() + image(1, false).len();
        for end in 0..=second_at {
            assert_eq!(first_frame(&two[..end]), None, "cut at {end}");
        }
        assert!(first_frame(&two[..second_at + 1]).is_some());
        // Not a GIF at all, or an 87a file with no image.
        assert_eq!(first_frame(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(first_frame(b"GIF87a\x01\0\x01\0\0\0\0;"), None);
    }

    #[test]
    fn colour_tables_are_sized_by_their_packed_bytes() {
        assert_eq!(colour_table_len(0x00), 0);
        assert_eq!(colour_table_len(0x80), 6);
        assert_eq!(colour_table_len(0x87), 768);
        assert_eq!(colour_table_len(0xF7), 768);
    }
}
