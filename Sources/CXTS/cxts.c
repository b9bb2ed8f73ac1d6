#include "cxts.h"
