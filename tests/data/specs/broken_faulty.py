# a faulty solution the broken specs refer to
