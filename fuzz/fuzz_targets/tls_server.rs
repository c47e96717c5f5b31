#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rtmp_fuzz::tls_server::run(data));
