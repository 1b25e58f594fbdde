"""Code that runs inside the platform (not at synth time): the serving token validator and the
quarantine function. Kept free of cdktf imports so it can be packaged on its own."""
