'use strict';
// Node `dgram` UDP echo: every datagram goes back to its sender.
const dgram = require('dgram');
const { port, ready } = require('./common');

const p = port();
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
socket.on('error', () => {});
socket.bind(p, '127.0.0.1', () => ready(p));
