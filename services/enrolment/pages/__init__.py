"""The administrator's pages: the catalogue's programmes, extensions, targets, sub-projects, courses and companies."""
