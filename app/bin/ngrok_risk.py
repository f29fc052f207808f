"""Entry point splunkd runs for the ngrok_risk alert action (default/alert_actions.conf): ngrok_risk.py --execute."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))  # splunklib, vendored in bin/lib

from sa_ngrok_detection.alert import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
