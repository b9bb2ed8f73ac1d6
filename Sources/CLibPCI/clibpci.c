#include "clibpci.h"
