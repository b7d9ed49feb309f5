//! SQLite's own page cache, with one waste taken out: a truncation that has nothing to remove.
//!
//! At the end of every write transaction SQLite truncates its page cache to the database's size.
//! Its cache does that cheaply when only the few pages past the end could be there, judged from
//! the largest page number it has held. But when a B-tree balance puts new pages in order it
//! parks one for a moment at the number of the lock-byte page (262,145 with 4 KB pages); the
//! cache takes that as its largest number, and while the database is smaller than 1 GB every
//! truncation after such a balance walks the whole cache (16,384 entries for the writer's
//! 64 MB): 8.7 % of the writer's time at 60,000 lifecycles. This wrapper keeps its own
//! largest page number, leaving the parked one out, and skips a truncation that can remove
//! nothing; every other call goes straight to SQLite's cache.

use std::ffi::{c_int, c_uint};
use std::sync::OnceLock;

use rusqlite::ffi;

/// Installs the wrapper in place of SQLite's default page cache. It must run before SQLite is
/// first used in the process (its configuration is fixed then): `Err` if it was too late, which
/// costs only the time above.
pub(crate) fn install() -> Result<(), c_int> {
    static INSTALLED: OnceLock<Result<(), c_int>> = OnceLock::new();
    *INSTALLED.get_or_init(|| unsafe {
        let mut default = std::mem::zeroed::<ffi::sqlite3_pcache_methods2>();
        let rc = ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, &raw mut default);
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
        let _ = INNER.set(Methods(default));
        // SQLite copies the methods.
        let wrapper = ffi::sqlite3_pcache_methods2 {
            xCreate: Some(create),
            xCachesize: Some(cache_size),
            xPagecount: Some(page_count),
            xFetch: Some(fetch),
            xUnpin: Some(unpin),
            xRekey: Some(rekey),
            xTruncate: Some(truncate),
            xDestroy: Some(destroy),
            xShrink: Some(shrink),
            ..default
        };
        match ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &raw const wrapper) {
            ffi::SQLITE_OK => Ok(()),
            rc => Err(rc),
        }
    })
}

/// SQLite's default page cache methods, which every call goes on to.
static INNER: OnceLock<Methods> = OnceLock::new();

/// Function pointers, and an argument that SQLite's default cache leaves null.
struct Methods(ffi::sqlite3_pcache_methods2);
// SAFETY: nothing in it is touched but to call SQLite's thread-safe default cache.
unsafe impl Send for Methods {}
unsafe impl Sync for Methods {}

fn inner() -> &'static ffi::sqlite3_pcache_methods2 {
    &INNER.get().expect("installed before any cache is made").0
}

/// One cache: SQLite's, and the largest page number it can hold.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    /// No page in the cache has a larger number, but maybe the parked one.
    largest: c_uint,
    /// The lock-byte page's number, where a balance parks a page.
    parking: c_uint,
    /// A page is parked at `parking` now.
    parked: bool,
}

unsafe fn cache<'a>(p: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
    unsafe { &mut *p.cast::<Cache>() }
}

unsafe extern "C" fn create(page_size: c_int, extra: c_int, purgeable: c_int) -> *mut ffi::sqlite3_pcache {
    let inner = unsafe { inner().xCreate.expect("caches are made")(page_size, extra, purgeable) };
    if inner.is_null() {
        return inner;
    }
    // SQLite's PENDING_BYTE: the first byte past 1 GiB.
    let parking = (0x4000_0000 / page_size.max(1) + 1) as c_uint;
    Box::into_raw(Box::new(Cache { inner, largest: 0, parking, parked: false })).cast()
}

unsafe extern "C" fn cache_size(p: *mut ffi::sqlite3_pcache, n: c_int) {
    unsafe { inner().xCachesize.expect("caches are sized")(cache(p).inner, n) }
}

unsafe extern "C" fn page_count(p: *mut ffi::sqlite3_pcache) -> c_int {
    unsafe { inner().xPagecount.expect("caches count")(cache(p).inner) }
}

unsafe extern "C" fn fetch(p: *mut ffi::sqlite3_pcache, key: c_uint, create: c_int) -> *mut ffi::sqlite3_pcache_page {
    unsafe {
        let c = cache(p);
        let page = inner().xFetch.expect("caches fetch")(c.inner, key, create);
        if !page.is_null() {
            c.note(key);
        }
        page
    }
}

unsafe extern "C" fn unpin(p: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, discard: c_int) {
    unsafe { inner().xUnpin.expect("caches unpin")(cache(p).inner, page, discard) }
}

unsafe extern "C" fn rekey(p: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, old: c_uint, new: c_uint) {
    unsafe {
        let c = cache(p);
        inner().xRekey.expect("caches rekey")(c.inner, page, old, new);
        if old == c.parking {
            c.parked = false;
        }
        c.note(new);
    }
}

unsafe extern "C" fn truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    unsafe {
        let c = cache(p);
        let parked_past = c.parked && c.parking >= limit;
        if c.largest < limit && !parked_past {
            return; // no page at `limit` or past it
        }
        inner().xTruncate.expect("caches truncate")(c.inner, limit);
        c.largest = c.largest.min(limit.saturating_sub(1));
        if parked_past {
            c.parked = false;
        }
    }
}

unsafe extern "C" fn destroy(p: *mut ffi::sqlite3_pcache) {
    unsafe {
        let c = Box::from_raw(p.cast::<Cache>());
        inner().xDestroy.expect("caches are destroyed")(c.inner);
    }
}

unsafe extern "C" fn shrink(p: *mut ffi::sqlite3_pcache) {
    unsafe { inner().xShrink.expect("caches shrink")(cache(p).inner) }
}

impl Cache {
    /// A page now has number `key`.
    fn note(&mut self, key: c_uint) {
        if key == self.parking {
            self.parked = true;
        } else if key > self.largest {
            self.largest = key;
        }
    }
}
