"""Shot lists out (OpenTimelineIO, EDL, FCP XML, ALE, CSV, JSON, contact sheet): see the export issue."""
