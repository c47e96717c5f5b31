//! Media payloads: legacy FLV tag headers, codec configuration records, Enhanced RTMP v2.
