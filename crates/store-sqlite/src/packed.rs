//! A case's and its facts' JSON, stored packed (压缩存储): zstd with a dictionary trained on such
//! documents. Each step rewrites both, and their bytes were the largest part of what a step
//! wrote; one document is like the next in its keys and the shape of its values, which the
//! dictionary holds (with its entropy tables, so that a frame need not build its own): the
//! documents of a lifecycle run, 809 bytes on average, pack into about 112 (BENCHMARKS.md).
//!
//! A packed value is a BLOB: one byte naming its dictionary, then a zstd frame. A TEXT value is
//! JSON as stored before packing (schema 20 and older); both are read. A released dictionary
//! never changes: a better one gets the next number, and every earlier one stays here. SQL sees
//! a packed document through `unpacked(data)` (see [`register`]).

use std::cell::RefCell;
use std::sync::OnceLock;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// The dictionaries by number, from 1; packing uses the newest. Dictionary 1 was trained
/// (`zstd::dict::from_samples`, 16 KB) on the case and facts documents of a lifecycle benchmark.
const DICTIONARIES: &[&[u8]] = &[include_bytes!("packed/dictionary-1.zstd")];

/// zstd's level 1: packing runs on every step, and higher levels barely shrink rows this small.
const LEVEL: i32 = 1;

/// The largest document unpacked, against a corrupt frame that claims more.
const MAX_DOCUMENT: u64 = 16 << 20;

fn encoder() -> &'static EncoderDictionary<'static> {
    static E: OnceLock<EncoderDictionary<'static>> = OnceLock::new();
    E.get_or_init(|| EncoderDictionary::copy(DICTIONARIES[DICTIONARIES.len() - 1], LEVEL))
}

fn decoder(number: u8) -> Option<&'static DecoderDictionary<'static>> {
    static D: OnceLock<Vec<DecoderDictionary<'static>>> = OnceLock::new();
    let all = D.get_or_init(|| DICTIONARIES.iter().map(|d| DecoderDictionary::copy(d)).collect());
    all.get(usize::from(number).checked_sub(1)?)
}

thread_local! {
    // A context per thread, made once: making one costs more than packing a document.
    static COMPRESSOR: RefCell<Compressor<'static>> = RefCell::new({
        let mut c = Compressor::with_prepared_dictionary(encoder()).expect("a zstd context");
        // Our first byte names the dictionary: zstd's own four-byte id would say it again.
        c.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false)).expect("a frame without a dictionary id");
        c
    });
    static DECOMPRESSORS: RefCell<Vec<Option<Decompressor<'static>>>> = const { RefCell::new(Vec::new()) };
}

/// JSON text as a packed value.
pub fn pack(json: &str) -> Vec<u8> {
    COMPRESSOR.with_borrow_mut(|c| {
        let frame = c.compress(json.as_bytes()).expect("zstd packs any bytes");
        let mut out = Vec::with_capacity(frame.len() + 1);
        out.push(DICTIONARIES.len() as u8);
        out.extend_from_slice(&frame);
        out
    })
}

/// The JSON text of a packed value.
pub fn unpack(value: &[u8]) -> Result<String, String> {
    let (&number, frame) = value.split_first().ok_or("an empty packed value")?;
    let dictionary =
        decoder(number).ok_or_else(|| format!("packed with dictionary {number}, which this build lacks"))?;
    let size = zstd::zstd_safe::get_frame_content_size(frame)
        .ok()
        .flatten()
        .filter(|s| *s <= MAX_DOCUMENT)
        .ok_or("a packed value without a plausible size")?;
    let bytes = DECOMPRESSORS.with_borrow_mut(|all| {
        let i = usize::from(number);
        if all.len() <= i {
            all.resize_with(i + 1, || None);
        }
        let d = match &mut all[i] {
            Some(d) => d,
            slot => slot.insert(Decompressor::with_prepared_dictionary(dictionary).map_err(|e| e.to_string())?),
        };
        d.decompress(frame, size as usize).map_err(|e| format!("a packed value does not unpack: {e}"))
    })?;
    String::from_utf8(bytes).map_err(|_| "a packed value is not UTF-8".to_owned())
}

/// A stored JSON document, packed or not.
pub struct Json(pub String);

impl FromSql for Json {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = match value {
            ValueRef::Text(t) => std::str::from_utf8(t).map(str::to_owned).map_err(|e| e.to_string()),
            ValueRef::Blob(b) => unpack(b),
            _ => return Err(FromSqlError::InvalidType),
        };
        text.map(Json).map_err(|e| FromSqlError::Other(e.into()))
    }
}

/// Teaches a connection `unpacked(x)`: the JSON text of a stored document, packed or not.
pub fn register(c: &Connection) -> rusqlite::Result<()> {
    c.create_scalar_function("unpacked", 1, FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
        Ok(ctx.get::<Option<Json>>(0)?.map(|j| j.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{"id":8,"state":"dispatched","seq":3,"head":"a50bf5590b3a465d549f7250faec12bea5218704f9277dcd98bcfc8f16d24364","subclass":"E0303","request_type":"complaint","urgency":"normal","grid":"110101003008006","location":{"lon":116.41,"lat":39.93},"address":"东城区","description":"路灯不亮","channel":"portal","reporter":"r00474","followers":["r00474"],"photos":[],"reported_at":1794963600700,"filed_at":1794963900700,"dispatched_at":1794964200700,"closed_at":null,"lead_unit":"dc-jj","assisting_units":[],"clock":{"limit_minutes":1260,"used_minutes":0,"running_since":1794964200700,"due_at":1795396200700,"warn_at":1795300000000},"extension_requested":null,"handled_by":null,"settled_in_grid":false,"return_count":0,"rework_count":0,"reopen_count":0,"extension_count":0,"urge_count":0,"supervised":false,"warned":false,"overdue":false,"escalated_to":null,"duplicate_of":null,"rating":null,"follow_up_expired":false}"#;

    #[test]
    fn a_document_packs_small_and_unpacks_whole() {
        for json in [CASE, "{}", "", "报告 ✓"] {
            assert_eq!(unpack(&pack(json)).unwrap(), json);
        }
        assert!(pack(CASE).len() * 4 < CASE.len(), "{} bytes packed", pack(CASE).len());
        assert!(unpack(&[]).is_err());
        assert!(unpack(&[9, 1, 2, 3]).unwrap_err().contains("dictionary 9"));
        assert!(unpack(&[1, 1, 2, 3]).is_err(), "not a zstd frame");
    }

    #[test]
    fn sql_sees_packed_and_plain_documents() {
        let c = Connection::open_in_memory().unwrap();
        register(&c).unwrap();
        let read = |v: rusqlite::types::Value| -> Option<String> {
            c.query_row("SELECT json_extract(unpacked(?1), '$.state')", [v], |r| r.get(0)).unwrap()
        };
        assert_eq!(read(rusqlite::types::Value::Blob(pack(CASE))).as_deref(), Some("dispatched"));
        assert_eq!(read(rusqlite::types::Value::Text(CASE.into())).as_deref(), Some("dispatched"));
        assert_eq!(read(rusqlite::types::Value::Null), None);
    }

    /// A released dictionary must never change: rows packed with it would no longer unpack.
    #[test]
    fn the_first_dictionary_never_changes() {
        let digest: String = yiwang_domain::audit::sm3(DICTIONARIES[0]).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, "b63896dc2df5bc24f9dbd392c71834ee7895b05a8907efbec1511d41db955018", "dictionary 1 changed");
    }
}
