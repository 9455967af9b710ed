"""What pages share: the knob table and its URL/state sync, the page frame and menu, charts."""
