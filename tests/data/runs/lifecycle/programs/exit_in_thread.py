"""A worker thread calls os._exit (exit_group) while another thread still sleeps and main waits in join."""
import os
import threading
import time

sleeper = threading.Thread(target=time.sleep, args=(0.5,))
sleeper.start()
threading.Thread(target=lambda: (time.sleep(0.05), os._exit(3))).start()
sleeper.join()
print("never printed", flush=True)
