//! ClientOpDecoder (the server side of a client connection): whole, fragmented and
//! byte-by-byte decoding agree, buffering is bounded, ops round-trip (see
//! `common/decoder_check.rs`).
#![no_main]

#[path = "common/decoder_check.rs"]
mod common;

decoder_check!(jetmirror_protocol::ClientOp, jetmirror_protocol::ClientOpDecoder);
