/** The scenario duration (s) at which Poisson arrivals at `ordersPerDay` place about `orders`: about 1.5% find nothing to buy, so aim a little high. */
export function benchDurationS(orders, ordersPerDay) {
  return Math.ceil(((orders * 1.02) / ordersPerDay) * 86_400);
}
