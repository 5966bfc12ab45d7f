{
  "targets": [
    {
      "target_name": "netwright",
      "sources": [
        "native/reactor/epoll_poller.cc",
        "native/reactor/reactor.cc",
        "native/net/socket_ops.cc",
        "native/net/datagram.cc",
        "native/net/random.cc",
        "native/protocol/websocket/sha1.cc",
        "native/protocol/websocket/utf8.cc",
        "native/protocol/websocket/handshake.cc",
        "native/protocol/websocket/deflate_negotiation.cc",
        "native/protocol/http/head.cc",
        "native/protocol/http/chunked.cc",
        "native/protocol/http/request_target.cc",
        "native/protocol/http/request_head.cc",
        "native/conn/connection.cc",
        "native/conn/listener.cc",
        "native/conn/core.cc",
        "native/conn/core_send.cc",
        "native/conn/core_websocket.cc",
        "native/conn/event_batch.cc",
        "native/conn/sessions.cc",
        "native/conn/websocket_session.cc",
        "native/conn/websocket_server_session.cc",
        "native/conn/websocket_client_session.cc",
        "native/conn/websocket_deflate.cc",
        "native/conn/http_session.cc",
        "native/conn/udp_socket.cc",
        "native/conn/core_udp.cc",
        "native/tls/bio.cc",
        "native/tls/context.cc",
        "native/tls/session.cc",
        "native/binding/node_loop.cc",
        "native/binding/addon.cc",
        "native/binding/udp_binding.cc",
        "native/binding/tls_binding.cc",
        "native/binding/runtime_shims.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "_GLIBCXX_ASSERTIONS"],
      "cflags!": ["-O2"],
      "cflags_cc!": ["-std=gnu++17", "-O2"],
      "cflags": ["-O3", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-O3", "-std=c++17", "-fvisibility=hidden", "-fno-exceptions", "-fno-threadsafe-statics", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      # -z now: every symbol taken from Node (N-API, its OpenSSL) resolves when the addon loads, so a
      # Node without one fails the load with a clear error instead of a later TLS call killing the process.
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,-z,now"],
      "conditions": [
        ["OS!='linux'", { "sources!": ["native/reactor/epoll_poller.cc"] }]
      ]
    }
  ]
}
