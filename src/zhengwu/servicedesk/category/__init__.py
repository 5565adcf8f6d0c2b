"""The category tree of citizens' requests (诉求分类): editable, versioned, shipped as TOML."""
