//! ServerOpDecoder (the client side, e.g. the mirror's upstream connection): whole,
//! fragmented and byte-by-byte decoding agree, buffering is bounded, ops round-trip (see
//! `common/decoder_check.rs`).
#![no_main]

#[path = "common/decoder_check.rs"]
mod common;

decoder_check!(jetmirror_protocol::ServerOp, jetmirror_protocol::ServerOpDecoder);
