//! Decoding a `connect` command allocates only the containers (RTMP-NOTES item 10): strings
//! are inline or zero-copy slices of the payload, never heap copies.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use rtmp_proto::amf::{DecodeLimits, Value, amf0};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn connect_decode_allocates_only_containers() {
    let command = [
        Value::from("connect"),
        Value::from(1.0),
        rtmp_proto::amf_object! {
            "app" => "live",
            "type" => "nonprivate",
            "flashVer" => "FMLE/3.0 (compatible; Lavf59.27.100)",
            "swfUrl" => "rtmp://live.example.com/live",
            "tcUrl" => "rtmp://live.example.com/live",
            "fpad" => false,
            "capabilities" => 239.0,
            "audioCodecs" => 3575.0,
            "videoCodecs" => 252.0,
            "videoFunction" => 1.0,
            "pageUrl" => Value::Undefined,
            "objectEncoding" => 0.0,
        },
    ];
    let mut out = BytesMut::new();
    amf0::encode_all(&command, &mut out);
    // A shared (not vec-backed) payload, as the chunk layer hands it over.
    let payload = out.freeze();
    let _warm = payload.clone();
    let limits = DecodeLimits::default();

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let values = amf0::decode_all(&payload, &limits).unwrap();
    let count = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(values, command);
    // The value vector, the reference table, the property vector and the object box.
    assert!((1..=4).contains(&count), "{count} allocations");
}
