//! Conformance story for attachments: what is put comes back byte for byte, variant by variant;
//! a taken id is refused and leaves the first attachment as it was; unknown ids read as nothing.
//! Each backend's `tests/conformance.rs` runs [`run`] on a fresh store.

use std::sync::Arc;

use yiwang_domain::audit::sm3;
use yiwang_domain::time::Timestamp;

use crate::attachments::{ANONYMOUS, Attachment, NewAttachment, Variant};
use crate::{Store, StoreError};

/// Deterministic bytes that compress badly, like a photo's.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn attachment(id: &str, original: Vec<u8>, uploader: &str) -> NewAttachment {
    NewAttachment {
        meta: Attachment {
            id: id.into(),
            media_type: "image/jpeg".into(),
            size: original.len() as u64,
            sm3: sm3(&original),
            uploader: uploader.into(),
            created_at: Timestamp(1_763_344_800_000),
        },
        public: original[..original.len() / 2].to_vec(),
        thumbnail: original[..64.min(original.len())].to_vec(),
        original,
    }
}

/// The whole story, on an empty store (the case story may have run before it).
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    round_trip(s).await;
    taken_ids_are_refused(s).await;
    finding_many(s).await;
    large_bytes_round_trip(s).await;
    concurrent_puts(store.clone()).await;
}

async fn round_trip(s: &dyn Store) {
    let a = attachment("0123456789abcdef0123456789abcdef", noise(5000, 1), "resident-1");
    s.put_attachment(a.clone()).await.expect("put an attachment");
    assert_eq!(s.attachment(&a.meta.id).await.expect("read metadata"), Some(a.meta.clone()));
    for (variant, bytes) in
        [(Variant::Original, &a.original), (Variant::Public, &a.public), (Variant::Thumbnail, &a.thumbnail)]
    {
        let got = s.attachment_bytes(&a.meta.id, variant).await.expect("read bytes");
        assert_eq!(got.as_ref(), Some(bytes), "{} variant differs", variant.as_str());
    }
    assert_eq!(s.attachment("ffffffffffffffffffffffffffffffff").await.unwrap(), None, "unknown id");
    assert_eq!(s.attachment_bytes("ffffffffffffffffffffffffffffffff", Variant::Public).await.unwrap(), None);
    // Ids compare exactly: no case folding, no prefix matching.
    assert_eq!(s.attachment("0123456789ABCDEF0123456789ABCDEF").await.unwrap(), None, "ids are case-sensitive");
    assert_eq!(s.attachment("0123456789abcdef").await.unwrap(), None);

    let anon = attachment("a0000000000000000000000000000000", noise(10, 2), ANONYMOUS);
    s.put_attachment(anon.clone()).await.expect("put an anonymous attachment");
    assert_eq!(s.attachment(&anon.meta.id).await.unwrap().unwrap().uploader, ANONYMOUS);
}

async fn taken_ids_are_refused(s: &dyn Store) {
    let first = attachment("b0000000000000000000000000000000", noise(300, 3), "resident-1");
    s.put_attachment(first.clone()).await.expect("put");
    let mut second = attachment("b0000000000000000000000000000000", noise(400, 4), "resident-2");
    second.meta.media_type = "image/png".into();
    match s.put_attachment(second).await {
        Err(StoreError::Refused(r)) if r.code == "attachment_exists" => {}
        other => panic!("a taken id must be refused, got {other:?}"),
    }
    assert_eq!(s.attachment(&first.meta.id).await.unwrap(), Some(first.meta.clone()), "the first was changed");
    for (variant, bytes) in
        [(Variant::Original, &first.original), (Variant::Public, &first.public), (Variant::Thumbnail, &first.thumbnail)]
    {
        assert_eq!(s.attachment_bytes(&first.meta.id, variant).await.unwrap().as_ref(), Some(bytes), "{variant:?}");
    }
}

async fn finding_many(s: &dyn Store) {
    assert!(s.find_attachments(&[]).await.unwrap().is_empty());
    let ids = [
        "0123456789abcdef0123456789abcdef".to_string(),
        "cccccccccccccccccccccccccccccccc".to_string(),
        "b0000000000000000000000000000000".to_string(),
        "0123456789abcdef0123456789abcdef".to_string(),
    ];
    let mut found: Vec<String> = s.find_attachments(&ids).await.expect("find").into_iter().map(|a| a.id).collect();
    found.sort();
    assert_eq!(found, ["0123456789abcdef0123456789abcdef", "b0000000000000000000000000000000"]);
    // More ids than one statement may carry as parameters.
    let many: Vec<String> = (0..40_000).map(|i| format!("{i:032x}")).collect();
    assert!(s.find_attachments(&many).await.expect("find many").is_empty());
}

async fn large_bytes_round_trip(s: &dyn Store) {
    let a = attachment("d0000000000000000000000000000000", noise(12 << 20, 5), "resident-3");
    s.put_attachment(a.clone()).await.expect("put 12 MiB");
    let back = s.attachment_bytes(&a.meta.id, Variant::Original).await.unwrap().expect("stored");
    assert!(back == a.original, "12 MiB came back different");
    assert_eq!(sm3(&back), s.attachment(&a.meta.id).await.unwrap().unwrap().sm3);
}

async fn concurrent_puts(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..16u64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let a = attachment(&format!("e{i:031x}"), noise(50_000, 100 + i), "resident-4");
                store.put_attachment(a.clone()).await.expect("concurrent put");
                a
            })
        })
        .collect();
    for t in tasks {
        let a = t.await.expect("put task");
        assert_eq!(store.attachment_bytes(&a.meta.id, Variant::Public).await.unwrap(), Some(a.public));
    }
}
