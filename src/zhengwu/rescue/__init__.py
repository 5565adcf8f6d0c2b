"""Emergency help network (应急求助): help-post detection, field extraction and triage."""
