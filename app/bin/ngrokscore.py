"""Entry point splunkd runs for the ngrokscore search command (default/commands.conf)."""
import gc

# Every search starts a new process. Importing splunklib and this app makes about 100,000 objects that live as long
# as the process; collecting garbage meanwhile only walks them again and again (a few ms per search), so the
# collector waits until the imports are done, and then leaves them out of its work for good (gc.freeze: without it,
# re-enabling the collector with all of them young made later collections rarer and a 1,000,000-row search's peak
# memory about 20 MB higher).
gc.disable()

import os  # noqa: E402
import sys  # noqa: E402

# splunklib is vendored in bin/lib: Splunk's knowledge bundle carries bin/ to the indexers, where this command runs.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

from sa_ngrok_detection.command import main, exit_at_once  # noqa: E402

gc.freeze()
gc.enable()

if __name__ == "__main__":
    main()
    exit_at_once()
