//! Recently written cases (热案卷), kept beside the engine so that the next step on a case it
//! has just written needs no read from the store.
//!
//! A copy here is only a hint. Another node (PostgreSQL, several engines) may have changed the
//! case since; a step decided on such a copy is refused by the store's `expected_seq` check, the
//! copy is forgotten, and the step is decided again on a fresh read. So the cache can make a step
//! faster, never wrong.

use std::collections::HashMap;
use std::sync::Mutex;

/// Cases per generation: at most twice as many are kept (a few kB each).
const GENERATION: usize = 4096;

/// Copies by case id, in two generations: when the young one is full it becomes the old one and
/// the old one is dropped, so the most recently written stay without keeping a recency list.
pub struct Recent<V>(Mutex<Generations<V>>);

struct Generations<V> {
    young: HashMap<i64, V>,
    old: HashMap<i64, V>,
}

impl<V: Clone> Default for Recent<V> {
    fn default() -> Self {
        Recent(Mutex::new(Generations { young: HashMap::new(), old: HashMap::new() }))
    }
}

impl<V: Clone> Recent<V> {
    pub fn get(&self, id: i64) -> Option<V> {
        let g = self.0.lock().expect("recent cases");
        g.young.get(&id).or_else(|| g.old.get(&id)).cloned()
    }

    pub fn put(&self, id: i64, copy: V) {
        let mut g = self.0.lock().expect("recent cases");
        if g.young.len() >= GENERATION && !g.young.contains_key(&id) {
            g.old = std::mem::take(&mut g.young);
        }
        g.old.remove(&id);
        g.young.insert(id, copy);
    }

    pub fn forget(&self, id: i64) {
        let mut g = self.0.lock().expect("recent cases");
        g.young.remove(&id);
        g.old.remove(&id);
    }

    pub fn clear(&self) {
        let mut g = self.0.lock().expect("recent cases");
        g.young.clear();
        g.old.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recently_written_and_forgets_on_demand() {
        let r = Recent::default();
        for id in 0..(GENERATION as i64 * 2) {
            r.put(id, id);
        }
        // Both generations are full: the first case written is still there (old generation).
        assert_eq!(r.get(0), Some(0));
        r.put(-1, -1);
        // The young generation was full: it became the old one, and the first cases are gone.
        assert_eq!(r.get(0), None);
        assert_eq!(r.get(GENERATION as i64), Some(GENERATION as i64));
        assert_eq!(r.get(-1), Some(-1));
        r.forget(-1);
        assert_eq!(r.get(-1), None);
        r.clear();
        assert_eq!(r.get(GENERATION as i64), None);
    }

    #[test]
    fn a_case_written_again_is_one_entry_with_the_newest_copy() {
        let r = Recent::default();
        r.put(7, "first");
        r.put(7, "second");
        assert_eq!(r.get(7), Some("second"));
        let g = r.0.lock().unwrap();
        assert_eq!(g.young.len() + g.old.len(), 1);
    }
}
