#![allow(unsafe_code, clippy::print_stdout)]
use bytes::BytesMut;
use rtmp_proto::session::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;
struct Counting;
static C: [AtomicIsize; 64] = [const { AtomicIsize::new(0) }; 64];
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() >= 4000 && l.size() < 4064 {
            C[l.size() - 4000].fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if l.size() >= 4000 && l.size() < 4064 {
            C[l.size() - 4000].fetch_sub(1, Ordering::Relaxed);
        }
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Counting = Counting;
#[test]
fn probe() {
    let now = Instant::now();
    let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let mut server = ServerSession::new(Arc::new(ServerConfig::default()), now);
    client
        .connect(ConnectParams::new("live", "rtmp://127.0.0.1:41234/live"))
        .unwrap();
    let mut round = 0;
    for _ in 0..20 {
        let mut c2s = BytesMut::with_capacity(4000 + round * 8);
        round += 1;
        while let Some(b) = client.poll_transmit() {
            c2s.extend_from_slice(&b);
        }
        let l = c2s.len();
        let _ = server.handle_input(now, &mut c2s);
        if l > 0 {
            println!("round {} fed {l}", round - 1);
        }
        drop(c2s);
        while let Some(ev) = server.poll_event() {
            if let ServerEvent::ConnectRequested { id, .. } = ev {
                server.accept_connect(id, ConnectReply::default()).unwrap();
            }
        }
        let mut s2c = BytesMut::new();
        while let Some(b) = server.poll_transmit() {
            s2c.extend_from_slice(&b);
        }
        let _ = client.handle_input(now, &mut s2c);
        while client.poll_event().is_some() {}
    }
    for (i, c) in C.iter().enumerate() {
        let c = c.load(Ordering::Relaxed);
        if c != 0 {
            println!("live {} : {c}", 4000 + i);
        }
    }
}
