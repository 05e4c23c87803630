// Loaded with `node --import` into every fc-macos run of the emulated tier: the only part of macOS
// the tier replaces besides Tart. fc-macos's Tart provider checks the platform; everything else
// (sw_vers, sysctl) comes from the small scripts the tier puts first on PATH.
Object.defineProperty(process, 'platform', { value: 'darwin' });
