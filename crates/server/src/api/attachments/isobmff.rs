//! Metadata removed from videos in the ISO base media format (MP4, QuickTime `.mov`) without
//! moving a byte.
//!
//! Where a phone writes a video's location: `moov/udta/©xyz` (an ISO 6709 string), the
//! QuickTime key list `moov/meta` (`com.apple.quicktime.location.ISO6709`, with the make, model
//! and software), XMP in a `uuid` box, and the samples of timed-metadata tracks (the GPS track
//! of an action camera or a dash camera, Apple's `mebx` tracks).
//!
//! Sample offsets in a movie are absolute positions in the file (`stco`/`co64`), so nothing may
//! change size. Instead:
//! - a box that is not on the keep-lists below (at the top level, in `moov`, in a `trak`, in its
//!   `mdia`) is renamed `free` — a box every reader skips — and its contents are zeroed;
//! - a track that is neither video, sound nor timecode is removed the same way, after its samples
//!   have been zeroed where they lie (found through `stsz`, `stsc` and `stco`/`co64`).
//!
//! What is kept plays as before: the picture, the sound, the rotation (a matrix in `tkhd`, not
//! metadata). A file whose boxes do not add up, or whose metadata samples cannot be located, is
//! refused rather than published half-cleaned.

/// Boxes kept at the top level; any other is removed.
const KEEP_TOP: &[&[u8; 4]] =
    &[b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"moof", b"mfra", b"styp", b"sidx"];
/// Boxes kept inside `moov`.
const KEEP_MOOV: &[&[u8; 4]] = &[b"mvhd", b"trak", b"mvex", b"iods"];
/// Boxes kept inside `trak`.
const KEEP_TRAK: &[&[u8; 4]] = &[b"tkhd", b"tref", b"edts", b"mdia", b"tapt", b"load"];
/// Boxes kept inside `mdia`.
const KEEP_MDIA: &[&[u8; 4]] = &[b"mdhd", b"hdlr", b"minf", b"elng"];
/// Track handlers kept: video, sound, timecode.
const KEEP_HANDLERS: &[&[u8; 4]] = &[b"vide", b"soun", b"tmcd"];

/// One box: its type and where its header, contents and end are.
#[derive(Clone, Copy, Debug)]
struct Bx {
    kind: [u8; 4],
    start: usize,
    body: usize,
    end: usize,
}

fn name(kind: &[u8; 4]) -> String {
    kind.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' }).collect()
}

fn u32_at(buf: &[u8], at: usize) -> Result<u32, String> {
    buf.get(at..at + 4)
        .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")))
        .ok_or_else(|| format!("a field at byte {at} lies past the end"))
}

fn u64_at(buf: &[u8], at: usize) -> Result<u64, String> {
    buf.get(at..at + 8)
        .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(|| format!("a field at byte {at} lies past the end"))
}

/// The boxes in `buf[start..end]`, which must add up exactly.
fn children(buf: &[u8], start: usize, end: usize) -> Result<Vec<Bx>, String> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        // QuickTime lets a list of atoms end with a 32-bit zero.
        if end - at == 4 && buf[at..end] == [0; 4] {
            break;
        }
        if end - at < 8 {
            return Err(format!("a truncated box header at byte {at}"));
        }
        let kind: [u8; 4] = buf[at + 4..at + 8].try_into().expect("4 bytes");
        let (size, header) = match u32_at(buf, at)? {
            0 => ((end - at) as u64, 8),
            1 => (u64_at(buf, at + 8)?, 16),
            n => (u64::from(n), 8),
        };
        if size < header as u64 || size > (end - at) as u64 {
            return Err(format!("box “{}” at byte {at} does not fit in its parent", name(&kind)));
        }
        let box_end = at + size as usize;
        out.push(Bx { kind, start: at, body: at + header, end: box_end });
        at = box_end;
    }
    Ok(out)
}

fn find(boxes: &[Bx], kind: &[u8; 4]) -> Option<Bx> {
    boxes.iter().copied().find(|b| &b.kind == kind)
}

/// What to do to a copy of the file.
#[derive(Default)]
struct Plan {
    /// Boxes to rename `free` and zero.
    remove: Vec<Bx>,
    /// Byte ranges (metadata samples) to zero.
    zero: Vec<(usize, usize)>,
}

/// A copy of the file with its metadata removed, the same length as the original.
pub fn strip(buf: &[u8]) -> Result<Vec<u8>, String> {
    let top = children(buf, 0, buf.len())?;
    let moov = find(&top, b"moov").ok_or("the video has no movie header (moov)")?;
    let fragmented = find(&top, b"moof").is_some();
    let mut plan = Plan::default();
    plan.remove.extend(top.iter().filter(|b| !KEEP_TOP.contains(&&b.kind)));
    for b in children(buf, moov.body, moov.end)? {
        if b.kind == *b"trak" {
            track(buf, b, fragmented, &mut plan)?;
        } else if !KEEP_MOOV.contains(&&b.kind) {
            plan.remove.push(b);
        }
    }
    let mut out = buf.to_vec();
    for (from, to) in plan.zero {
        out[from..to].fill(0);
    }
    for b in plan.remove {
        out[b.start + 4..b.start + 8].copy_from_slice(b"free");
        out[b.body..b.end].fill(0);
    }
    Ok(out)
}

fn track(buf: &[u8], trak: Bx, fragmented: bool, plan: &mut Plan) -> Result<(), String> {
    let inside = children(buf, trak.body, trak.end)?;
    let mdia = find(&inside, b"mdia");
    let mdia_boxes = match mdia {
        Some(m) => children(buf, m.body, m.end)?,
        None => vec![],
    };
    // hdlr: version and flags (4), pre-defined / component type (4), handler type (4).
    let handler: Option<[u8; 4]> = find(&mdia_boxes, b"hdlr")
        .and_then(|h| buf.get(h.body + 8..h.body + 12))
        .map(|b| b.try_into().expect("4 bytes"));
    match handler {
        Some(h) if KEEP_HANDLERS.contains(&&h) => {
            plan.remove.extend(inside.iter().filter(|b| !KEEP_TRAK.contains(&&b.kind)));
            plan.remove.extend(mdia_boxes.iter().filter(|b| !KEEP_MDIA.contains(&&b.kind)));
            Ok(())
        }
        other => {
            if fragmented {
                return Err(format!(
                    "a fragmented video with a “{}” track: its samples cannot be located",
                    other.map_or_else(|| "unknown".into(), |h| name(&h))
                ));
            }
            if let Some(minf) = find(&mdia_boxes, b"minf") {
                let minf_boxes = children(buf, minf.body, minf.end)?;
                if let Some(stbl) = find(&minf_boxes, b"stbl") {
                    plan.zero.extend(sample_ranges(buf, stbl)?);
                }
            }
            plan.remove.push(trak);
            Ok(())
        }
    }
}

/// Where a track's samples lie in the file, chunk by chunk.
fn sample_ranges(buf: &[u8], stbl: Bx) -> Result<Vec<(usize, usize)>, String> {
    let boxes = children(buf, stbl.body, stbl.end)?;
    if find(&boxes, b"stz2").is_some() {
        return Err("compact sample sizes (stz2) in a metadata track are not supported".into());
    }
    let (Some(stsz), Some(stsc)) = (find(&boxes, b"stsz"), find(&boxes, b"stsc")) else {
        return Ok(vec![]); // no samples
    };
    // Chunk offsets.
    let mut offsets = Vec::new();
    if let Some(stco) = find(&boxes, b"stco") {
        let n = u32_at(buf, stco.body + 4)? as usize;
        for i in 0..n {
            offsets.push(u64::from(u32_at(buf, stco.body + 8 + 4 * i)?));
        }
    } else if let Some(co64) = find(&boxes, b"co64") {
        let n = u32_at(buf, co64.body + 4)? as usize;
        for i in 0..n {
            offsets.push(u64_at(buf, co64.body + 8 + 8 * i)?);
        }
    } else {
        return Err("a metadata track without chunk offsets".into());
    }
    // Sample sizes: one for all, or one each.
    let fixed = u32_at(buf, stsz.body + 4)?;
    let count = u32_at(buf, stsz.body + 8)? as usize;
    let size_of = |i: usize| -> Result<u64, String> {
        if fixed != 0 { Ok(u64::from(fixed)) } else { Ok(u64::from(u32_at(buf, stsz.body + 12 + 4 * i)?)) }
    };
    // Samples per chunk: runs starting at a (1-based) first chunk.
    let runs = u32_at(buf, stsc.body + 4)? as usize;
    let mut per_chunk = Vec::with_capacity(runs);
    for i in 0..runs {
        let first = u32_at(buf, stsc.body + 8 + 12 * i)? as usize;
        let samples = u32_at(buf, stsc.body + 12 + 12 * i)? as usize;
        per_chunk.push((first, samples));
    }
    let mut ranges = Vec::new();
    let mut sample = 0;
    for (c, &offset) in offsets.iter().enumerate() {
        let chunk = c + 1;
        let n = per_chunk.iter().rev().find(|(first, _)| *first <= chunk).map_or(0, |r| r.1);
        let mut len = 0u64;
        for _ in 0..n {
            if sample >= count {
                break;
            }
            len += size_of(sample)?;
            sample += 1;
        }
        let end = offset.checked_add(len).filter(|&e| e <= buf.len() as u64);
        let Some(end) = end else {
            return Err(format!("metadata samples at byte {offset} lie outside the file"));
        };
        ranges.push((offset as usize, end as usize));
    }
    Ok(ranges)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A box of `kind` around `body`.
    pub fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(version_flags: u32, rest: &[u8]) -> Vec<u8> {
        let mut out = version_flags.to_be_bytes().to_vec();
        out.extend_from_slice(rest);
        out
    }

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn track(handler: &[u8; 4], chunk_offsets: &[u32], sample_sizes: &[u32]) -> Vec<u8> {
        let hdlr = bx(b"hdlr", &[full(0, &[0; 4]), handler.to_vec(), vec![0; 12], b"name\0".to_vec()].concat());
        let mut stsz = vec![0, 0, 0, 0, 0, 0, 0, 0];
        stsz.extend(words(&[sample_sizes.len() as u32]));
        stsz.extend(words(sample_sizes));
        let per_chunk = (sample_sizes.len() / chunk_offsets.len()) as u32;
        let stsc = full(0, &words(&[1, 1, per_chunk, 1]));
        let stco = full(0, &[words(&[chunk_offsets.len() as u32]), words(chunk_offsets)].concat());
        let stbl = bx(b"stbl", &[bx(b"stsz", &stsz), bx(b"stsc", &stsc), bx(b"stco", &stco)].concat());
        let minf = bx(b"minf", &stbl);
        let mdia = bx(b"mdia", &[bx(b"mdhd", &[0; 24]), hdlr, minf].concat());
        bx(b"trak", &[bx(b"tkhd", &[0; 84]), mdia, bx(b"udta", &bx(b"name", b"track name"))].concat())
    }

    /// A small MP4: a video track, a GPS track whose two samples are in `mdat`, the location in
    /// `udta/©xyz` and in an Apple key list, and XMP in a `uuid` box. Returns the file and where
    /// the video samples and GPS samples lie.
    pub fn sample_mp4(location: &str) -> (Vec<u8>, std::ops::Range<usize>, std::ops::Range<usize>) {
        let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
        let video = b"VIDEO-SAMPLE-BYTES-0123456789".to_vec();
        let gps = format!("GPS1{location}GPS2{location}").into_bytes();
        let half = (gps.len() / 2) as u32;
        // The layout: ftyp, mdat (video then gps), moov; offsets are known once ftyp is.
        let mdat_body_at = ftyp.len() + 8;
        let video_at = mdat_body_at as u32;
        let gps_at = video_at + video.len() as u32;
        let mdat = bx(b"mdat", &[video.clone(), gps.clone()].concat());
        let mut xyz = (location.len() as u16).to_be_bytes().to_vec();
        xyz.extend_from_slice(&[0x15, 0xC7]);
        xyz.extend_from_slice(location.as_bytes());
        let udta = bx(b"udta", &bx(b"\xA9xyz", &xyz));
        let keys = bx(b"keys", &[full(0, &words(&[1])), bx(b"mdta", b"com.apple.quicktime.location.ISO6709")].concat());
        let ilst =
            bx(b"ilst", &bx(b"\0\0\0\x01", &bx(b"data", &[full(1, &[0; 4]), location.as_bytes().to_vec()].concat())));
        let meta = bx(b"meta", &[bx(b"hdlr", &[0; 24]), keys, ilst].concat());
        let moov = bx(
            b"moov",
            &[
                bx(b"mvhd", &[0; 100]),
                track(b"vide", &[video_at], &[video.len() as u32]),
                track(b"meta", &[gps_at], &[half, half]),
                udta,
                meta,
            ]
            .concat(),
        );
        let mut xmp = b"\xBE\x7A\xCF\xCB\x97\xA9\x42\xE8\x9C\x71\x99\x94\x91\xE3\xAF\xAC".to_vec();
        xmp.extend_from_slice(
            format!("<x:xmpmeta><exif:GPSLatitude>{location}</exif:GPSLatitude></x:xmpmeta>").as_bytes(),
        );
        let file = [ftyp, mdat, moov, bx(b"uuid", &xmp)].concat();
        let v = video_at as usize;
        let g = gps_at as usize;
        (file, v..v + video.len(), g..g + gps.len())
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn location_goes_and_the_picture_stays() {
        let loc = "+39.9163+116.4075/";
        let (file, video, gps) = sample_mp4(loc);
        assert!(contains(&file, loc.as_bytes()));
        let out = strip(&file).unwrap();
        assert_eq!(out.len(), file.len(), "nothing may move");
        assert!(!contains(&out, b"39.9163"), "a location survived");
        assert!(!contains(&out, b"com.apple.quicktime.location"), "the key list survived");
        assert!(!contains(&out, b"track name"), "a track's udta survived");
        assert_eq!(out[video.clone()], file[video], "video samples changed");
        assert!(out[gps].iter().all(|&b| b == 0), "metadata samples not zeroed");
        // Still a well-formed file with its movie header and the video track.
        let top = children(&out, 0, out.len()).unwrap();
        let kinds: Vec<_> = top.iter().map(|b| name(&b.kind)).collect();
        assert_eq!(kinds, ["ftyp", "mdat", "moov", "free"]);
        let moov = find(&top, b"moov").unwrap();
        let inner: Vec<_> = children(&out, moov.body, moov.end).unwrap().iter().map(|b| name(&b.kind)).collect();
        assert_eq!(inner, ["mvhd", "trak", "free", "free", "free"]);
        // Stripping twice changes nothing more.
        assert_eq!(strip(&out).unwrap(), out);
    }

    #[test]
    fn broken_files_are_refused() {
        let (file, ..) = sample_mp4("+39.9+116.4/");
        assert!(strip(&file[..file.len() - 3]).is_err(), "a truncated file");
        let mut lying = file.clone();
        lying[3] = 0xFF; // ftyp claims more than there is... then the rest misparses
        assert!(strip(&lying).is_err());
        assert!(strip(&bx(b"ftyp", b"isom\0\0\0\0")).unwrap_err().contains("moov"));
        // Samples said to lie past the end.
        let t = track(b"meta", &[1_000_000], &[10]);
        let f = [bx(b"ftyp", b"isom\0\0\0\0"), bx(b"moov", &t)].concat();
        assert!(strip(&f).unwrap_err().contains("outside"));
    }
}
