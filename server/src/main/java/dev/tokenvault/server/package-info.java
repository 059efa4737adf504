package dev.tokenvault.server;
