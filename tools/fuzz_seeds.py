#!/usr/bin/env python3
"""Writes the structure-aware seeds of the fuzz targets estimate, media_headers,
reconcile, importers and classify.

media_headers: small, valid headers of every medium the estimators read (PNG, JPEG, GIF,
WebP in its three forms, WAV, MP3 with and without ID3 and Xing, FLAC, MP4, PDF), raw.

estimate: `[family index][model index]` + a request body (the layout of
fuzz/fuzz_targets/estimate.rs), for every family: the chat families with each header
embedded as a data URL, `inline_data` / `inlineData`, an Anthropic base64 source or a
DashScope data URL; multipart transcription and image-edit requests with binary file
parts; the other families from their request fixtures.

Family indexes follow `Api::ALL` in crates/metering/src/request/mod.rs, read from the source so a new or
reordered family cannot shift the seeds silently. Deterministic: the same files every run.
The committed corpus is this output after `cargo fuzz cmin`; rerun it when a family is
added:  python3 tools/fuzz_seeds.py OUT_DIR
"""
import base64
import json
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "responses")


def api_names():
    src = open(os.path.join(ROOT, "crates", "metering", "src", "request", "mod.rs"), encoding="utf-8").read()
    body = re.search(r"pub const ALL: \[Api; \d+\] = \[(.*?)\];", src, re.S).group(1)
    variants = re.findall(r"Api::(\w+)", body)
    names = dict(re.findall(r'Api::(\w+) => "([a-z0-9-]+)",', src))
    return [names[v] for v in variants]


# ---- media headers -------------------------------------------------------------------


def png(w, h):
    ihdr = struct.pack(">II", w, h) + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


def jpeg(w, h):
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, h, w, 3) + b"\x01\x22\0\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def gif(w, h):
    return b"GIF89a" + struct.pack("<HH", w, h) + b"\xf0\0\0"


def riff(kind, chunks):
    body = kind + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def chunk(cid, data):
    pad = b"\0" if len(data) % 2 else b""
    return cid + struct.pack("<I", len(data)) + data + pad


def webp_vp8x(w, h):
    data = b"\0\0\0\0" + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    return riff(b"WEBP", [chunk(b"VP8X", data)])


def webp_vp8(w, h):
    data = b"\0\0\0" + b"\x9d\x01\x2a" + struct.pack("<HH", w, h) + b"\0" * 4
    return riff(b"WEBP", [chunk(b"VP8 ", data)])


def webp_vp8l(w, h):
    bits = (w - 1) | ((h - 1) << 14)
    return riff(b"WEBP", [chunk(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\0\0\0")])


def wav(seconds, rate=16000, extra=None):
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    chunks = [chunk(b"fmt ", fmt)] + (extra or [])
    data = b"\0" * 64
    head = riff(b"WAVE", chunks)
    # The data chunk claims `seconds` of samples; only a few bytes follow (a header).
    return head + b"data" + struct.pack("<I", seconds * rate * 2) + data


def mp3(frames=None, id3=True):
    out = b""
    if id3:
        out += b"ID3\x04\0\0" + bytes([0, 0, 0, 10]) + b"\0" * 10
    head = b"\xff\xfb\x90\x64"  # MPEG-1 layer III, 128 kbps, 44.1 kHz, joint stereo
    side = b"\0" * 32
    if frames is not None:
        out += head + side + b"Xing" + b"\0\0\0\x01" + struct.pack(">I", frames) + b"\0" * 8
    else:
        out += (head + b"\0" * 413) * 3
    return out


def flac(seconds, rate=44100):
    total = seconds * rate
    x = (rate << 44) | (1 << 41) | (15 << 36) | total
    info = struct.pack(">HH", 4096, 4096) + b"\0" * 6 + struct.pack(">Q", x) + b"\0" * 16
    return b"fLaC" + b"\x80" + (34).to_bytes(3, "big") + info


def mp4(seconds, scale=1000, version=0):
    ftyp = struct.pack(">I", 20) + b"ftypisom\0\0\x02\0isom"
    if version == 0:
        mvhd = b"mvhd\0\0\0\0" + struct.pack(">IIII", 0, 0, scale, seconds * scale)
    else:
        mvhd = b"mvhd\x01\0\0\0" + struct.pack(">QQIQ", 0, 0, scale, seconds * scale)
    mvhd = struct.pack(">I", len(mvhd) + 4) + mvhd + b"\0" * 80
    moov = struct.pack(">I", len(mvhd) + 8) + b"moov" + mvhd
    return ftyp + moov


def pdf(pages, count_only=False):
    if count_only:
        return b"%PDF-1.5\n1 0 obj << /Type /Pages /Kids [] /Count " + str(pages).encode() + b" >>\nendobj\n%%EOF\n"
    kids = " ".join(f"{i + 3} 0 R" for i in range(pages)).encode()
    out = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    out += b"2 0 obj << /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>\nendobj\n"
    for i in range(pages):
        out += str(i + 3).encode() + b" 0 obj << /Type /Page /Parent 2 0 R >>\nendobj\n"
    return out + b"%%EOF\n"


HEADERS = {
    "png-1024x768": ("image/png", png(1024, 768)),
    "png-4000x3000": ("image/png", png(4000, 3000)),
    "jpeg-640x480": ("image/jpeg", jpeg(640, 480)),
    "gif-320x240": ("image/gif", gif(320, 240)),
    "webp-vp8x-2048x1536": ("image/webp", webp_vp8x(2048, 1536)),
    "webp-vp8-800x600": ("image/webp", webp_vp8(800, 600)),
    "webp-vp8l-100x50": ("image/webp", webp_vp8l(100, 50)),
    "wav-3s": ("audio/wav", wav(3)),
    "wav-list-chunk": ("audio/wav", wav(2, extra=[chunk(b"LIST", b"INFOISFT\x05\0\0\0tool\0")])),
    # A chunk whose size is near 2^32: a 32-bit RIFF walk must not wrap (the wasm32 build).
    "wav-huge-chunk": ("audio/wav", wav(1, extra=[b"junk" + struct.pack("<I", 0xFFFFFFF7)])),
    "mp3-cbr-id3": ("audio/mpeg", mp3()),
    "mp3-xing": ("audio/mpeg", mp3(frames=2000, id3=False)),
    "flac-12s": ("audio/flac", flac(12)),
    "mp4-10s": ("video/mp4", mp4(10)),
    "mp4-v1-90s": ("video/mp4", mp4(90, 600, 1)),
    "pdf-3-pages": ("application/pdf", pdf(3)),
    "pdf-count-only": ("application/pdf", pdf(7, count_only=True)),
}


def b64(b):
    return base64.b64encode(b).decode()


def data_url(mime, b):
    return f"data:{mime};base64,{b64(b)}"


# ---- requests -------------------------------------------------------------------------


def multipart(fields, files, boundary="fuzzBoundary7MA4YWxk"):
    out = b""
    for k, v in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for k, name, mime, data in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def js(v):
    return json.dumps(v, ensure_ascii=False).encode()


def chat_requests():
    out = []
    for name, (mime, b) in HEADERS.items():
        if mime.startswith("image/"):
            part = {"type": "image_url", "image_url": {"url": data_url(mime, b), "detail": "high"}}
        elif mime.startswith("audio/"):
            fmt = "wav" if "wav" in mime else "mp3"
            part = {"type": "input_audio", "input_audio": {"data": b64(b), "format": fmt}}
        else:
            part = {"type": "file", "file": {"filename": name, "file_data": data_url(mime, b)}}
        out.append((name, js({"model": "gpt-4o", "max_tokens": 64, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "What is this?"}, part]}]})))
    out.append(("tools", js({"model": "gpt-4o", "max_completion_tokens": 100, "n": 2,
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}},
            "required": ["city"]}}}]})))
    return out


def responses_requests():
    out = []
    for name, (mime, b) in HEADERS.items():
        if mime.startswith("image/"):
            part = {"type": "input_image", "image_url": data_url(mime, b), "detail": "auto"}
        elif mime == "application/pdf":
            part = {"type": "input_file", "filename": "a.pdf", "file_data": data_url(mime, b)}
        else:
            continue
        out.append((name, js({"model": "gpt-4.1-mini", "max_output_tokens": 50, "instructions": "Short.",
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "Describe"}, part]}]})))
    return out


def anthropic_requests():
    out = []
    for name, (mime, b) in HEADERS.items():
        if mime.startswith("image/"):
            part = {"type": "image", "source": {"type": "base64", "media_type": mime, "data": b64(b)}}
        elif mime == "application/pdf":
            part = {"type": "document", "source": {"type": "base64", "media_type": mime, "data": b64(b)}}
        else:
            continue
        out.append((name, js({"model": "claude-sonnet-4-5", "max_tokens": 128, "system": "Terse.",
            "messages": [{"role": "user", "content": [part, {"type": "text", "text": "What is it?"}]}]})))
    return out


def gemini_requests():
    out = []
    for i, (name, (mime, b)) in enumerate(HEADERS.items()):
        if i % 2:
            part = {"inline_data": {"mime_type": mime, "data": b64(b)}}
        else:
            part = {"inlineData": {"mimeType": mime, "data": b64(b)}}
        if mime.startswith("video/"):
            part["videoMetadata"] = {"startOffset": "1s", "endOffset": "5s", "fps": 1}
        out.append((name, js({"contents": [{"role": "user", "parts": [{"text": "Summarize"}, part]}],
            "generationConfig": {"maxOutputTokens": 100, "mediaResolution": "MEDIA_RESOLUTION_LOW"}})))
    return out


def dashscope_requests():
    out = []
    for name, (mime, b) in HEADERS.items():
        key = "image" if mime.startswith("image/") else "audio" if mime.startswith("audio/") else "video"
        if mime == "application/pdf":
            continue
        out.append((name, js({"model": "qwen-vl-max", "input": {"messages": [{"role": "user", "content": [
            {key: data_url(mime, b)}, {"text": "Describe"}]}]}, "parameters": {"max_tokens": 80}})))
    return out


def transcription_requests():
    out = []
    for name, (mime, b) in HEADERS.items():
        if mime.startswith("audio/") or mime.startswith("video/"):
            ext = {"audio/wav": "wav", "audio/mpeg": "mp3", "audio/flac": "flac", "video/mp4": "mp4"}[mime]
            out.append((name, multipart([("model", "whisper-1"), ("response_format", "json")],
                                        [("file", f"a.{ext}", mime, b)])))
    return out


def image_edit_requests():
    out = [("gen", js({"model": "gpt-image-1", "prompt": "a red fox in snow", "size": "1024x1024", "quality": "high", "n": 2}))]
    for name, (mime, b) in HEADERS.items():
        if mime.startswith("image/"):
            out.append((name, multipart([("model", "gpt-image-1"), ("prompt", "add a hat"), ("quality", "low")],
                                        [("image[]", "a.png", mime, b)])))
    return out


def fixture(*path):
    p = os.path.join(FIX, *path)
    return open(p, "rb").read() if os.path.exists(p) else None


def fixed_requests():
    """Families whose requests name quantities rather than carry media."""
    f = {
        "openai-embeddings": [js({"model": "text-embedding-3-small", "input": ["hello", "world"]})],
        "openai-speech": [fixture("openai-speech-request.json") or js({"model": "tts-1", "input": "Hello", "voice": "alloy"})],
        "minimax-tts": [js({"model": "speech-02-hd", "text": "你好"})],
        "doubao-tts": [js({"app": {}, "request": {"text": "你好世界"}})],
        "suno": [js({"gpt_description_prompt": "a summer pop song", "mv": "chirp-v4", "make_instrumental": False}),
                 js({"prompt": "rain on the window"})],
        "udio": [js({"model": "udio-130", "messages": [{"role": "user", "content": "a sea shanty"}]})],
        "gemini-embeddings": [fixture("gemini-batch-embeddings-request.json")],
        "rerank": [fixture("rerank-cohere-request.json"),
                   js({"model": "jina-reranker-m0", "query": "q", "documents": [{"image": data_url("image/png", png(512, 512))}, "text doc"]})],
        "openai-moderations": [js({"model": "omni-moderation-latest", "input": [
            {"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": data_url("image/png", png(64, 64))}}]})],
        "seedream": [js({"model": "doubao-seedream-4-0-250828", "prompt": "three scenes", "sequential_image_generation": "auto",
                         "sequential_image_generation_options": {"max_images": 3}, "image": [data_url("image/jpeg", jpeg(640, 480))]})],
        "qwen-image": [js({"model": "wanx2.1-t2i-turbo", "input": {"prompt": "a flower shop"}, "parameters": {"size": "1024*1024", "n": 2}})],
        "imagen": [js({"instances": [{"prompt": "a lighthouse"}], "parameters": {"sampleCount": 2}})],
        "midjourney": [js({"prompt": "a cat", "base64Array": [data_url("image/png", png(256, 256))]}),
                       js({"customId": "MJ::JOB::upsample::2::2b5b-4c1f", "taskId": "1712205000000001"})],
        "openai-video": [fixture("video", "sora-request.json"), fixture("video", "veo-openai-request.json")],
        "sora-chat": [fixture("video", "sora-chat-request.json")],
        "veo": [fixture("video", "veo-request.json"),
                js({"instances": [{"prompt": "otters", "image": {"bytesBase64Encoded": b64(png(1280, 720)), "mimeType": "image/png"}}],
                    "parameters": {"durationSeconds": 6, "resolution": "1080p", "sampleCount": 2}})],
        "wan-video": [fixture("video", "wan-request.json")],
        "seedance": [fixture("video", "seedance-request.json"),
                     js({"model": "doubao-seedance-2-0-260128", "content": [{"type": "text", "text": "a kite"},
                         {"type": "image_url", "image_url": {"url": data_url("image/webp", webp_vp8x(1920, 1080))}, "role": "first_frame"}],
                         "resolution": "720p", "ratio": "16:9", "duration": 5})],
        "kling": [fixture("video", "kling-request.json")],
        "jimeng": [fixture("video", "jimeng-request.json")],
        "luma": [js({"model": "ray-2", "prompt": "otters", "duration": "9s", "resolution": "720p"})],
        "runway": [fixture("video", "runway-request.json")],
    }
    return f


def grown_requests():
    """`head NUL unit NUL tail` bodies with the model byte's top bit set: the target repeats
    `unit` past 300 KiB, beyond the base64 header window (non-ASCII and valid filler)."""
    png_b64 = b64(png(1024, 768))
    out = []
    for fill in ["A", "€", "=", " "]:
        tag = {"A": "a", "€": "euro", "=": "pad", " ": "space"}[fill]
        out.append(("openai-chat", f"grown-{tag}",
            ('{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,'
             + png_b64 + "\0" + fill + '\0"}}]}]}').encode()))
        out.append(("anthropic", f"grown-{tag}",
            ('{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"'
             + png_b64 + "\0" + fill + '\0"}}]}]}').encode()))
        out.append(("gemini", f"grown-{tag}",
            ('{"contents":[{"parts":[{"inline_data":{"mime_type":"audio/wav","data":"'
             + b64(wav(3)) + "\0" + fill + '\0"}}]}],"generationConfig":{"maxOutputTokens":5}}').encode()))
    out.append(("openai-chat", "grown-text",
        '{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"\0héllo wörld 你好 \0"}]}'.encode()))
    out.append(("openai-transcription", "grown-wav",
        multipart([("model", "whisper-1")], [("file", "a.wav", "audio/wav", wav(3) + b"\0\x80\xff\0")])))
    return out


def raw_span_requests():
    """Headers as raw bytes between two \\x01 (the target base64-encodes the span), so the
    fuzzer mutates the header, not its base64 text."""
    span = lambda b: b"\x01" + b + b"\x01"
    out = []
    for name, (mime, b) in HEADERS.items():
        if mime.startswith("image/"):
            out.append(("openai-chat", f"raw-{name}", b'{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:'
                        + mime.encode() + b";base64," + span(b) + b'"}}]}]}'))
            out.append(("anthropic", f"raw-{name}", b'{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"'
                        + mime.encode() + b'","data":"' + span(b) + b'"}}]}]}'))
        if mime == "application/pdf":
            out.append(("anthropic", f"raw-{name}", b'{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"'
                        + span(b) + b'"}}]}]}'))
            out.append(("openai-chat", f"raw-{name}", b'{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,'
                        + span(b) + b'"}}]}]}'))
        out.append(("gemini", f"raw-{name}", b'{"contents":[{"parts":[{"inline_data":{"mime_type":"' + mime.encode() + b'","data":"'
                    + span(b) + b'"}}]}],"generationConfig":{"maxOutputTokens":5}}'))
    return out


def hostile_requests():
    """Counts a request may claim that must give a typed error or an honest hold, never a
    wrapped sum: a PDF of 148375984940707263 pages, video offsets of 1e300 seconds."""
    big_pdf = b"%PDF-1.7 /Type /Pages /Count 148375984940707263"
    video = {"file_data": {"mime_type": "video/mp4", "file_uri": "gs://b/v.mp4"},
             "videoMetadata": {"startOffset": "0s", "endOffset": "1e300s"}}
    return [
        ("anthropic", "hostile-pdf-pages", b'{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"'
         + b"\x01" + big_pdf + b"\x01" + b'"}}]}]}'),
        ("gemini", "hostile-video-offsets", js({"contents": [{"parts": [video, video]}], "generationConfig": {"maxOutputTokens": 5}})),
    ]


def log_seeds():
    """Reconcile inputs: `[format][chunk size]` + a log (fuzz/fuzz_targets/reconcile.rs)."""
    canon = [
        {"model": "gpt-5", "at": "2025-09-01T00:00:00Z", "input_tokens": 1000, "charged": "0.00125", "currency": "USD"},
        {"model": "claude-sonnet-4-5", "at": "2025-11-01T00:00:00Z", "input_tokens": 1000, "cache_read_tokens": 3000,
         "output_tokens": 400, "user": "u1", "request_id": "r-1", "charged": "0.0099", "currency": "USD"},
        {"model": "gemini-2.5-pro", "at": "2025-11-01T00:00:00Z", "input_tokens": 250000, "output_tokens": 10},
    ]
    other = {"model_ratio": 1.5, "group_ratio": 0.8, "completion_ratio": 5, "cache_tokens": 3000, "cache_ratio": 0.1,
             "cache_creation_tokens": 2500, "cache_creation_tokens_5m": 2000, "cache_creation_tokens_1h": 500,
             "model_price": -1, "usage_semantic": "anthropic", "claude": True}
    newapi = [
        {"id": 1, "user_id": 7, "created_at": 1761955200, "type": 2, "username": "ann", "model_name": "claude-sonnet-4-5-20250929",
         "quota": 8160, "prompt_tokens": 1000, "completion_tokens": 400, "group": "vip", "other": json.dumps(other)},
        {"id": 2, "user_id": 7, "created_at": 1761955300, "type": 2, "username": "bob", "model_name": "gpt-4o",
         "quota": 1500, "prompt_tokens": 200, "completion_tokens": 100, "group": "default", "other": "{}"},
        {"id": 3, "created_at": 1761955400, "type": 1, "model_name": "", "quota": 500000, "other": ""},
    ]
    jsonl = lambda rows: "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode() + b"\n"

    def csv(rows):
        cols = list(dict.fromkeys(k for r in rows for k in r))
        esc = lambda v: '"' + str(v).replace('"', '""') + '"' if isinstance(v, str) and any(c in v for c in ',"\n') else str(v)
        lines = [",".join(cols)] + [",".join(esc(r.get(c, "")) for c in cols) for r in rows]
        return ("\n".join(lines) + "\n").encode()

    return {
        "canonical-jsonl": bytes([0, 7]) + jsonl(canon),
        "canonical-csv": bytes([1, 3]) + csv(canon),
        "new-api-jsonl": bytes([0, 11]) + jsonl(newapi),
        "new-api-csv": bytes([2, 5]) + csv(newapi),
        "bom-jsonl": bytes([0, 0]) + b"\xef\xbb\xbf" + jsonl(canon[:1]),
    }


def importer_seeds():
    """Importer inputs: `[0: new-api | 1: LiteLLM]` + JSON (fuzz/fuzz_targets/importers.rs)."""
    options = {"ModelRatio": {"my-model": 1, "gpt-4o": 1.25}, "CompletionRatio": {"my-model": 4},
               "CacheRatio": {"gpt-4o": 0.5}, "CreateCacheRatio": {"my-model": 1.25},
               "ModelPrice": {"mj_imagine": 0.1}, "ImageRatio": {"gpt-4o": 2}, "GroupRatio": {"vip": 0.8}}
    listing = {"success": True, "data": [{"key": k, "value": json.dumps(v)} for k, v in options.items()]}
    out = {"new-api-options": b"\0" + js(options), "new-api-option-list": b"\0" + js(listing)}
    lite = os.path.join(ROOT, "tests", "fixtures", "litellm-sample.json")
    if os.path.exists(lite):
        out["litellm-sample"] = b"\1" + open(lite, "rb").read()
    return out


def classify_seeds():
    """Classifier inputs: `[mode][status, big-endian]` + text (fuzz/fuzz_targets/classify.rs)."""
    out = {
        "anthropic-overloaded": b"\0\x02\x11" + js({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        "openai-quota": b"\0\x01\xad" + js({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota"}}),
        "relay-no-channel": b"\0\x01\xf7" + "分组 default 下模型 gemini-2.5-pro 无可用渠道(distributor)".encode(),
        "too-long": b"\0\x01\x90" + b"prompt is too long: 300001 tokens > 200000 maximum",
        "pattern": b"\1\0\0" + "分组 {*} 下模型 {model} 无可用渠道\n分组 vip 下模型 claude-opus-4-1 无可用渠道（distributor）".encode(),
    }
    rules = os.path.join(ROOT, "crates", "operations", "outcomes", "rules.toml")
    if os.path.exists(rules):
        out["rules"] = b"\2\x01\xf4" + open(rules, "rb").read()[:6000]
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
    names = api_names()
    heads = os.path.join(out, "media_headers")
    os.makedirs(heads, exist_ok=True)
    for name, (_, b) in HEADERS.items():
        open(os.path.join(heads, name), "wb").write(b)
    est = os.path.join(out, "estimate")
    os.makedirs(est, exist_ok=True)
    per_family = {
        "openai-chat": chat_requests(),
        "openai-responses": responses_requests(),
        "anthropic": anthropic_requests(),
        "gemini": gemini_requests(),
        "dashscope": dashscope_requests(),
        "openai-transcription": transcription_requests(),
        "openai-images": image_edit_requests(),
    }
    for fam, bodies in fixed_requests().items():
        per_family[fam] = [(str(i), b) for i, b in enumerate(bodies) if b is not None]
    missing = [n for n in names if n not in per_family]
    if missing:
        sys.exit(f"no seed requests for {missing}: add them to tools/fuzz_seeds.py")
    n = 0
    for fam, bodies in per_family.items():
        idx = names.index(fam)
        for name, body in bodies:
            path = os.path.join(est, f"{fam}-{name}")
            open(path, "wb").write(bytes([idx, 0]) + body)
            n += 1
    for fam, name, body in raw_span_requests():
        open(os.path.join(est, f"{fam}-{name}"), "wb").write(bytes([names.index(fam), 0]) + body)
        n += 1
    for fam, name, body in hostile_requests():
        open(os.path.join(est, f"{fam}-{name}"), "wb").write(bytes([names.index(fam), 0]) + body)
        n += 1
    for fam, name, body in grown_requests():
        open(os.path.join(est, f"{fam}-{name}"), "wb").write(bytes([names.index(fam), 0x80]) + body)
        n += 1
    for target, seeds in [("reconcile", log_seeds()), ("importers", importer_seeds()), ("classify", classify_seeds())]:
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, b in seeds.items():
            open(os.path.join(d, name), "wb").write(b)
    print(f"{len(HEADERS)} headers, {n} requests of {len(per_family)} families in {out}")


if __name__ == "__main__":
    main()
