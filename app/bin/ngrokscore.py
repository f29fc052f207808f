"""Entry point splunkd runs for the ngrokscore search command (default/commands.conf)."""
import os
import sys

# splunklib is vendored in bin/lib: Splunk's knowledge bundle carries bin/ to the indexers, where this command runs.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

from sa_ngrok_detection.command import main, exit_at_once  # noqa: E402

if __name__ == "__main__":
    main()
    exit_at_once()
