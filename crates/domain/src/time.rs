//! Instants. Stored everywhere as milliseconds since the Unix epoch (UTC), shown in the
//! deployment's offset (China Standard Time by default).

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }

    pub fn from_datetime<Tz: TimeZone>(t: &DateTime<Tz>) -> Timestamp {
        Timestamp(t.timestamp_millis())
    }

    /// The instant in the given offset, for display and calendar arithmetic.
    pub fn at_offset(self, offset: FixedOffset) -> DateTime<FixedOffset> {
        offset.timestamp_millis_opt(self.0).single().expect("milliseconds in range")
    }

    pub fn plus_ms(self, ms: i64) -> Timestamp {
        Timestamp(self.0 + ms)
    }

    /// RFC 3339 in China Standard Time, e.g. `2026-11-21T09:30:00+08:00`.
    pub fn to_rfc3339_cst(self) -> String {
        self.at_offset(china_standard_time()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// UTC+8, the offset of every Chinese deployment.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}
