//! `yiwang-wal`: SQLite's "unix" VFS, except that the frames a commit appends to the WAL are
//! gathered in memory and written with a few large calls, just before the commit's sync.
//!
//! SQLite writes each WAL frame with two `pwrite`s (its 24-byte header, then its page), at
//! offsets that are not page-aligned: for a group of a few hundred steps that is hundreds of
//! system calls, each through the file system's write path, and the writer's largest cost
//! after its B-trees. Gathered, they are written 124 KB at a time.
//!
//! What makes this safe: bytes a write has gathered reach the file before any other operation
//! on it (a read, sync, truncate, size, file control or close), in the order they were written;
//! and only the writer's connection of a `synchronous=FULL` store uses this VFS, where SQLite
//! syncs the WAL before it publishes a commit to readers (which read the file through
//! connections of their own). SQLite also relies on a sync ending the commit only when the
//! device promises power-safe overwrite (else it pads past the sync); where it does not, this
//! VFS gathers nothing. Every other file (the database, the shared-memory index) is the unix
//! VFS's own.

use std::ffi::{CStr, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The VFS's name, to open a connection with.
pub(crate) const NAME: &CStr = c"yiwang-wal";

/// Bytes gathered before they are written without waiting for the sync: a group's frames are
/// usually a few hundred kilobytes to a megabyte.
const GATHER_AT_MOST: usize = 8 << 20;

/// Registers the VFS once per process (beside "unix", not as the default).
pub(crate) fn register() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| unsafe {
            let unix = ffi::sqlite3_vfs_find(c"unix".as_ptr());
            if unix.is_null() {
                return Err("SQLite has no unix VFS".into());
            }
            // The unix VFS's methods other than xOpen ignore which VFS they are called through.
            let mut vfs = *unix;
            vfs.szOsFile = (size_of::<WalFile>() + (*unix).szOsFile as usize) as c_int;
            vfs.pNext = ptr::null_mut();
            vfs.zName = NAME.as_ptr();
            vfs.pAppData = unix.cast();
            vfs.xOpen = Some(open);
            match ffi::sqlite3_vfs_register(Box::leak(Box::new(vfs)), 0) {
                ffi::SQLITE_OK => Ok(()),
                rc => Err(format!("registering the {NAME:?} VFS failed ({rc})")),
            }
        })
        .clone()
}

/// A WAL file: the unix VFS's file (`real`, in the same allocation, after this struct) and the
/// bytes gathered for it, which belong at `at`.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    gather: bool,
    at: i64,
    gathered: Vec<u8>,
}

static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    // Version 1: a WAL file is never memory-mapped, nor a shared-memory index.
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    unsafe {
        let unix = (*vfs).pAppData.cast::<ffi::sqlite3_vfs>();
        let unix_open = (*unix).xOpen.expect("the unix VFS opens files");
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            return unix_open(unix, name, file, flags, out_flags);
        }
        let real = file.cast::<u8>().add(size_of::<WalFile>()).cast::<ffi::sqlite3_file>();
        let rc = unix_open(unix, name, real, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            (*file).pMethods = ptr::null();
            return rc;
        }
        let characteristics = ((*(*real).pMethods).xDeviceCharacteristics.expect("unix files say"))(real);
        let gather = characteristics & ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0;
        ptr::write(
            file.cast::<WalFile>(),
            WalFile { base: ffi::sqlite3_file { pMethods: &WAL_METHODS }, real, gather, at: 0, gathered: Vec::new() },
        );
        ffi::SQLITE_OK
    }
}

/// The WAL file behind `file`, and the unix VFS's methods for its real file.
unsafe fn wal<'a>(file: *mut ffi::sqlite3_file) -> (&'a mut WalFile, &'a ffi::sqlite3_io_methods) {
    unsafe {
        let wal = &mut *file.cast::<WalFile>();
        let methods = &*(*wal.real).pMethods;
        (wal, methods)
    }
}

/// The most the unix VFS writes with one call (it masks a write's length to 17 bits).
const UNIX_WRITE_AT_MOST: usize = 31 * 4096;

/// Writes what is gathered.
unsafe fn flush(wal: &mut WalFile, methods: &ffi::sqlite3_io_methods) -> c_int {
    let write = methods.xWrite.expect("unix files write");
    let mut at = wal.at;
    let mut rc = ffi::SQLITE_OK;
    for chunk in wal.gathered.chunks(UNIX_WRITE_AT_MOST) {
        rc = unsafe { write(wal.real, chunk.as_ptr().cast(), chunk.len() as c_int, at) };
        if rc != ffi::SQLITE_OK {
            break;
        }
        at += chunk.len() as i64;
    }
    wal.gathered.clear();
    rc
}

/// Writes what is gathered, then runs `then` on the real file.
unsafe fn flushed(
    file: *mut ffi::sqlite3_file,
    then: impl FnOnce(&ffi::sqlite3_io_methods, *mut ffi::sqlite3_file) -> c_int,
) -> c_int {
    unsafe {
        let (wal, methods) = wal(file);
        match flush(wal, methods) {
            ffi::SQLITE_OK => then(methods, wal.real),
            rc => rc,
        }
    }
}

unsafe extern "C" fn write(file: *mut ffi::sqlite3_file, buf: *const c_void, amount: c_int, offset: i64) -> c_int {
    unsafe {
        let (wal, methods) = wal(file);
        if !wal.gather {
            return methods.xWrite.expect("unix files write")(wal.real, buf, amount, offset);
        }
        let appends = offset == wal.at + wal.gathered.len() as i64;
        if !appends || wal.gathered.len() + amount as usize > GATHER_AT_MOST {
            let rc = flush(wal, methods);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            wal.at = offset;
        }
        wal.gathered.extend_from_slice(std::slice::from_raw_parts(buf.cast::<u8>(), amount as usize));
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let (wal, methods) = wal(file);
        let flushed = flush(wal, methods);
        ptr::drop_in_place(&mut wal.gathered);
        let closed = methods.xClose.expect("unix files close")(wal.real);
        if flushed != ffi::SQLITE_OK { flushed } else { closed }
    }
}

unsafe extern "C" fn read(file: *mut ffi::sqlite3_file, buf: *mut c_void, amount: c_int, offset: i64) -> c_int {
    unsafe { flushed(file, |m, real| m.xRead.expect("unix files read")(real, buf, amount, offset)) }
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    unsafe { flushed(file, |m, real| m.xTruncate.expect("unix files truncate")(real, size)) }
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe { flushed(file, |m, real| m.xSync.expect("unix files sync")(real, flags)) }
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    unsafe { flushed(file, |m, real| m.xFileSize.expect("unix files have a size")(real, size)) }
}

unsafe extern "C" fn file_control(file: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    unsafe { flushed(file, |m, real| m.xFileControl.expect("unix files take controls")(real, op, arg)) }
}

/// Runs `then` on the real file: what needs none of the gathered bytes.
unsafe fn direct(
    file: *mut ffi::sqlite3_file,
    then: impl FnOnce(&ffi::sqlite3_io_methods, *mut ffi::sqlite3_file) -> c_int,
) -> c_int {
    unsafe {
        let (wal, methods) = wal(file);
        then(methods, wal.real)
    }
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { direct(file, |m, real| m.xLock.expect("unix files lock")(real, level)) }
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { direct(file, |m, real| m.xUnlock.expect("unix files unlock")(real, level)) }
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { direct(file, |m, real| m.xCheckReservedLock.expect("unix files lock")(real, out)) }
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { direct(file, |m, real| m.xSectorSize.expect("unix files have sectors")(real)) }
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { direct(file, |m, real| m.xDeviceCharacteristics.expect("unix files say")(real)) }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags};

    use super::*;

    /// What a reader on the plain unix VFS sees of table `t`: its rows and a digest of them.
    fn seen(reader: &Connection) -> (i64, i64) {
        reader
            .query_row("SELECT count(*), coalesce(sum(length(b) * id), 0) FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    }

    #[test]
    fn readers_see_every_commit_whole_and_a_reopened_store_keeps_it() {
        register().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), NAME).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 300; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)",
            )
            .unwrap();
        let reader = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let (mut rows, mut digest) = (0, 0);
        // Small commits, then ones larger than a unix write (124 KB) and than all that is
        // gathered before the sync (8 MB); checkpoints (every 300 pages) read the WAL back.
        for (i, size) in [100, 5_000, 200_000, 9_000_000, 3_000].into_iter().cycle().take(40).enumerate() {
            let id = i as i64 + 1;
            writer.execute("INSERT INTO t (id, b) VALUES (?1, randomblob(?2))", [id, size]).unwrap();
            rows += 1;
            digest += size * id;
            assert_eq!(seen(&reader), (rows, digest), "commit {id} is not whole to a reader");
        }
        let before: Vec<u8> = writer.query_row("SELECT b FROM t WHERE id = 4", [], |r| r.get(0)).unwrap();
        drop((writer, reader));
        let reopened = Connection::open(&path).unwrap();
        let after: Vec<u8> = reopened.query_row("SELECT b FROM t WHERE id = 4", [], |r| r.get(0)).unwrap();
        assert_eq!(before, after);
        assert_eq!(seen(&reopened), (rows, digest));
        assert_eq!(reopened.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    }
}
