"""The probe stage: everything the run observes, from DNS servers (walk, questions, zone
transfers, the NSEC walk), resolvers, CoreDNS, NTP and cloud providers, into data that can be
saved as a snapshot and judged again. Nothing here judges."""
