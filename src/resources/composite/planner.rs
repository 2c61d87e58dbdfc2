//! Compares what a composite wants with what its instance owns: which
//! parts to make, which to keep (and bring in line), which to delete. One
//! comparison for every composite's keyed parts — endpoints by service,
//! groups by user profile — and for a create that adopts what an
//! unfinished create left.

use std::collections::BTreeMap;

/// The parts to make, keep and delete, by key.
#[derive(Debug, PartialEq, Eq)]
pub struct Changes<K, P> {
    /// Wanted and not owned: to make.
    pub create: Vec<K>,
    /// Wanted and owned: to keep, changed to match what is wanted.
    pub keep: Vec<(K, P)>,
    /// Owned and not wanted, or a second part for one key: to delete.
    pub delete: Vec<P>,
}

/// Compares `wanted` keys with `owned` parts, each with the key it serves
/// (`None`: it serves nothing wanted). The first owned part of a key is
/// kept; another one for the same key is deleted.
pub fn compare<K: Ord + Clone, P>(
    wanted: &[K],
    owned: impl IntoIterator<Item = (Option<K>, P)>,
) -> Changes<K, P> {
    let mut kept: BTreeMap<K, P> = BTreeMap::new();
    let mut delete = Vec::new();
    for (key, part) in owned {
        match key {
            Some(key) if wanted.contains(&key) && !kept.contains_key(&key) => {
                kept.insert(key, part);
            }
            _ => delete.push(part),
        }
    }
    let create = wanted
        .iter()
        .filter(|key| !kept.contains_key(*key))
        .cloned()
        .collect();
    Changes {
        create,
        keep: kept.into_iter().collect(),
        delete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_the_missing_keeps_the_first_and_deletes_the_rest() {
        let owned = [
            (Some("s3"), "vpce-1"),
            (Some("s3"), "vpce-2"),
            (Some("sts"), "vpce-3"),
            (None, "vpce-4"),
            (Some("api"), "vpce-5"),
        ];
        let changes = compare(&["api", "s3", "runtime"], owned);
        assert_eq!(changes.create, vec!["runtime"]);
        assert_eq!(changes.keep, vec![("api", "vpce-5"), ("s3", "vpce-1")]);
        assert_eq!(changes.delete, vec!["vpce-2", "vpce-3", "vpce-4"]);
    }

    #[test]
    fn nothing_owned_makes_everything() {
        let changes = compare::<&str, &str>(&["a", "b"], []);
        assert_eq!(changes.create, vec!["a", "b"]);
        assert!(changes.keep.is_empty() && changes.delete.is_empty());
    }
}
