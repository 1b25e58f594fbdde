"""The app's configuration edge: the environment models, the bounded loader, JSON Schema export, PKI checks and
the emulator's capability switches."""
