#include "speed_of_light.h"
