#!/usr/bin/env python3
"""Writes the small seed corpus under corpus/<target>/ (committed; rerun to regenerate).
The formats are described at the top of each fuzz_*.cc and in reference.h."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def chunks(parts):
    """Encodes byte strings as the chunk format of reference.h."""
    out = b''
    for p in parts:
        assert 1 <= len(p) <= 65536
        if len(p) <= 255:
            out += bytes([len(p) - 1]) + p
        else:
            out += bytes([255]) + struct.pack('>H', len(p) - 1) + p
    return out


def frame(payload):
    return struct.pack('>I', len(payload) + 4) + payload


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


text_stream = b'hello\r\nworld\n\n\r\nh\xc3\xa9llo\nunfinished'
frames = frame(b'') + frame(b'a') + frame(bytes(range(200))) + frame(b'tail')
byte_by_byte = lambda s: [s[i:i + 1] for i in range(len(s))]

# fuzz_framers: [kind | limit << 1] chunks
write('fuzz_framers', 'text_whole', bytes([0 | 127 << 1]) + chunks([text_stream]))
write('fuzz_framers', 'text_bytes', bytes([0 | 127 << 1]) + chunks(byte_by_byte(text_stream)))
write('fuzz_framers', 'text_limit', bytes([0 | 1 << 1]) + chunks([b'123456789012\n', b'1234567890123\n']))
write('fuzz_framers', 'frame_whole', bytes([1 | 127 << 1]) + chunks([frames]))
write('fuzz_framers', 'frame_bytes', bytes([1 | 127 << 1]) + chunks(byte_by_byte(frames)))
write('fuzz_framers', 'frame_bad_len', bytes([1 | 127 << 1]) + chunks([frame(b'ok'), b'\0\0', b'\0\3']))
write('fuzz_framers', 'frame_limit', bytes([1 | 4 << 1]) + chunks([frame(b'x' * 48), frame(b'y' * 49)]))

# fuzz_receive: [kind] [max hi] [max lo] [slab/events] [end mode] chunks
DEFAULT = [0x80, 0]
def recv(name, kind, maxbytes, slab, events, fin, parts):
    write('fuzz_receive', name, bytes([kind] + maxbytes + [slab + ((events - 1) << 2), 1 if fin else 0]) + chunks(parts))

recv('raw', 0, DEFAULT, 2, 64, True, [b'abc', bytes(range(256)) * 4])
recv('text_split', 1, DEFAULT, 0, 4, True, byte_by_byte(text_stream))
recv('text_many', 1, DEFAULT, 1, 8, True, [b''.join(b'line %d\n' % i for i in range(300))])
recv('text_long_tail', 1, DEFAULT, 0, 2, True, [b'x' * 700, b'y' * 700, b'z\n'])
recv('text_too_large', 1, [0, 20], 2, 16, True, [b'0123456789\n', b'01234567890123456789\n'])
recv('text_open', 1, DEFAULT, 2, 16, False, [b'a\nb', b'\nc'])
recv('frame_split', 2, DEFAULT, 0, 4, True, byte_by_byte(frames))
recv('frame_whole', 2, DEFAULT, 2, 64, True, [frames])
recv('frame_large', 2, DEFAULT, 0, 8, True, [frame(b'L' * 3000)[:100], frame(b'L' * 3000)[100:]])
recv('frame_bad', 2, DEFAULT, 2, 8, True, [frame(b'ok') + b'\0\0\0\2'])
recv('frame_too_large', 2, [0, 64], 1, 8, True, [frame(b'q' * 60), frame(b'r' * 61)])

# fuzz_byte_buffer: [op a b]* ; op bit 0 = which buffer, ((op >> 1) & 7) % 5 = operation, 0x40 = long lengths
def op(kind, which=0, a=0, b=0, long=False, flag=False):
    o = which | (kind << 1) | (0x40 if long else 0) | (0x80 if flag else 0)
    assert ((o >> 1) & 7) % 5 == kind
    return bytes([o, a, b])

write('fuzz_byte_buffer', 'small', op(0, 0, 10, 1) + op(0, 0, 20, 2) + op(2, 0, 5) + op(1, 0, 50, 7) + op(3, 0))
write('fuzz_byte_buffer', 'grow', op(0, 0, 31, 200, long=True) + op(2, 0, 3, 0, long=True) + op(0, 0, 40, 0, long=True) + op(2, 0, 0, 0, flag=True))
write('fuzz_byte_buffer', 'two', op(0, 0, 100, 3) + op(4, 0, 60) + op(0, 1, 9, 9) + op(4, 1, 255) + op(3, 1))

# fuzz_http: [target bit 0 | small limits bit 1 | split seed << 2] head-or-body
GET = b'GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\n\r\n'
POST = b'POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello'
CHUNKED_REQ = b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
write('fuzz_http', 'head_get', bytes([0 | 5 << 2]) + GET + GET)
write('fuzz_http', 'head_post', bytes([0 | 9 << 2]) + POST)
write('fuzz_http', 'head_chunked', bytes([0 | 3 << 2]) + CHUNKED_REQ)
write('fuzz_http', 'head_http10', bytes([0]) + b'HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
write('fuzz_http', 'head_smuggle', bytes([0]) + b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n')
write('fuzz_http', 'head_small_limits', bytes([2 | 7 << 2]) + b'GET /' + b'a' * 80 + b' HTTP/1.1\r\nHost: h\r\n\r\n')
write('fuzz_http', 'head_many_fields', bytes([2]) + b'GET / HTTP/1.1\r\nHost: h\r\n' + b''.join(b'X-%d: v\r\n' % i for i in range(6)) + b'\r\n')
# regression: a whole head whose over-long request line ends in a bare LF was 400, the same bytes trickled in 414
write('fuzz_http', 'regress_long_line_bare_lf', bytes([2 | 7 << 2]) + b'GET /' + b'a' * 120 + b' HTTP/1.1\nHost: h\r\n\r\n')
# regression: an HTTP/1.0 head with two Host headers was accepted
write('fuzz_http', 'regress_http10_two_hosts', bytes([0]) + b'GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n')
write('fuzz_http', 'chunked_body', bytes([1 | 11 << 2]) + b'5\r\nhello\r\n1a;ext=1\r\n' + b'z' * 26 + b'\r\n0\r\nTrailer: x\r\n\r\nGET')
write('fuzz_http', 'chunked_bad', bytes([1]) + b'5 \r\nhello\r\n')
write('fuzz_http', 'chunked_big', bytes([1 | 2 << 2]) + b'fffffffffffffff\r\n' + b'q' * 100)
# chunk extensions (RFC 9112 7.1.1), trailers (7.1.2), request target forms (3.2)
write('fuzz_http', 'chunked_extensions', bytes([1 | 5 << 2]) + b'5 ; a = b ;\tc="x\\" ;";d\r\nhello\r\n0;e=f\r\n\r\n')
write('fuzz_http', 'chunked_ext_unclosed_quote', bytes([1 | 6 << 2]) + b'5;a="abc\r\nhello\r\n0\r\n\r\n')
write('fuzz_http', 'chunked_ext_empty', bytes([1]) + b'2;\r\naa\r\n0\r\n\r\n')
write('fuzz_http', 'chunked_ext_budget', bytes([1 | 2 | 3 << 2]) + b'1;' + b'x' * 20 + b'\r\nz\r\n1;y=z\r\nz\r\n0\r\n\r\n')
write('fuzz_http', 'chunked_trailers', bytes([1 | 9 << 2]) + b'3\r\nabc\r\n0\r\nX-A: v\r\nB:\r\nC:\tw\r\n\r\nGET')
write('fuzz_http', 'chunked_trailer_no_field', bytes([1 | 4 << 2]) + b'0\r\nfoo\r\n\r\n')
write('fuzz_http', 'chunked_trailer_budget', bytes([1 | 2]) + b'0\r\nX: ' + b'v' * 30 + b'\r\n\r\n')
write('fuzz_http', 'target_absolute', bytes([0 | 3 << 2]) + b'GET http://Other.Example:8080/p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n')
write('fuzz_http', 'target_ipv6', bytes([0]) + b'GET https://[::1]:8443 HTTP/1.1\r\nHost: h\r\n\r\n')
write('fuzz_http', 'target_asterisk', bytes([0]) + b'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n')
write('fuzz_http', 'target_connect', bytes([0]) + b'CONNECT h.example:443 HTTP/1.1\r\nHost: h\r\n\r\n')
write('fuzz_http', 'target_relative', bytes([0]) + b'GET ../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n')
write('fuzz_http', 'target_authority_get', bytes([0]) + b'GET other.example:80 HTTP/1.1\r\nHost: h\r\n\r\n')

# fuzz_websocket: [target (0 utf8, 1 frame header, 2 upgrade head) + 3 * split seed] subject
write('fuzz_websocket', 'utf8_valid', bytes([0 + 3 * 7]) + 'héllo wörld ✓ 𝄞'.encode())
write('fuzz_websocket', 'utf8_overlong', bytes([0]) + b'\xc0\xaf\xe0\x80\xaf')
write('fuzz_websocket', 'utf8_surrogate', bytes([0 + 3]) + b'a\xed\xa0\x80b')
write('fuzz_websocket', 'utf8_cut', bytes([0 + 6]) + b'ok\xf0\x9f\x98')
write('fuzz_websocket', 'frame_small', bytes([1]) + b'\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58')
write('fuzz_websocket', 'frame_16', bytes([1]) + b'\x82\xfe\x01\x00\x01\x02\x03\x04')
write('fuzz_websocket', 'frame_64', bytes([1]) + b'\x02\x7f\x00\x00\x00\x01\x00\x00\x00\x00')
write('fuzz_websocket', 'frame_64_top_bit', bytes([1]) + b'\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00')
write('fuzz_websocket', 'upgrade', bytes([2 + 3 * 5]) + b'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n'
      b'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
write('fuzz_websocket', 'upgrade_response', bytes([2]) + b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
      b'Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')
# the one head parser, through the upgrade and the 101: bare LF line ends (the old
# WebSocket scanner took them), and the HTTP smuggling rules on an upgrade
UPGRADE = (b'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
           b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n')
write('fuzz_websocket', 'upgrade_bare_lf', bytes([2 + 3 * 9]) + (UPGRADE + b'\r\n').replace(b'\r\n', b'\n'))
write('fuzz_websocket', 'upgrade_smuggle', bytes([2 + 3 * 4]) + UPGRADE + b'Host: b\r\nContent-Length: 4\r\n'
      b'Transfer-Encoding: chunked\r\n\r\n\x81\x80')
write('fuzz_websocket', 'upgrade_response_bare_lf', bytes([2 + 3 * 2]) + b'HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n'
      b'Connection: Upgrade\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n')
write('fuzz_http', 'head_bare_lf', bytes([0 | 13 << 2]) + b'GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n')

# fuzz_send: [bit 0 masked, (>> 1) % 3 protocol: text, frame, websocket] then records
# [op (& 0xc0 length scale, & 0x30 slack scale, % 5 ws opcode)] [length] [slack] payload
write('fuzz_send', 'text_lines', bytes([0]) + bytes([0, 5, 10]) + b'hello' + bytes([0, 0, 0]) + bytes([0, 3, 0]) + b'a\rb')
write('fuzz_send', 'frame_lengths', bytes([2]) + bytes([0, 4, 8]) + b'abcd' + bytes([0x40, 5, 3]))
write('fuzz_send', 'ws_server_boundaries', bytes([4]) + bytes([0x40, 5, 0]) + bytes([0x51, 6, 200]) + bytes([0x82, 5, 1])
      + bytes([2, 3, 0]) + b'pin' + bytes([4, 2, 0]) + b'\x03\xe8')
write('fuzz_send', 'ws_client_masked', bytes([5]) + bytes([0, 4, 12]) + b'mask' + bytes([0x61, 9, 9]) + bytes([0xe1, 2, 0]))

# fuzz_deflate: [byte 0 % 3: 0 negotiation, 1 inflate garbage, 2 round trip; byte 0 / 3 options and splits] subject
import zlib as _zlib


def _raw_deflate(data):
    c = _zlib.compressobj(6, _zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(_zlib.Z_SYNC_FLUSH)
    return out[:-4]


write('fuzz_deflate', 'offer_plain', bytes([0]) + b'permessage-deflate; client_max_window_bits')
write('fuzz_deflate', 'offer_all', bytes([0 + 3 * 15]) + b'x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover; '
      b'client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9, permessage-deflate')
write('fuzz_deflate', 'offer_quoted', bytes([0 + 3 * 4]) + b'permessage-deflate; server_max_window_bits="12"; foo, permessage-deflate')
write('fuzz_deflate', 'offer_bad', bytes([0 + 3 * 8]) + b'permessage-deflate; server_max_window_bits=08;;client_max_window_bits=16')
write('fuzz_deflate', 'inflate_json', bytes([1 + 3 * 40]) + _raw_deflate(b'{"id":1,"name":"a"}' * 50))
write('fuzz_deflate', 'inflate_bomb', bytes([1 + 3 * 2]) + _raw_deflate(bytes(1 << 20)))
write('fuzz_deflate', 'inflate_final_block', bytes([1 + 3 * 20]) + _zlib.compress(b'hello hello hello', 9)[2:-4])
write('fuzz_deflate', 'round_trip_json', bytes([2 + 3 * 3]) + b'{"id":1,"name":"a","tags":["x","y"]}' * 20)
write('fuzz_deflate', 'round_trip_small_window', bytes([2 + 3 * 8]) + bytes(range(256)) * 4)
