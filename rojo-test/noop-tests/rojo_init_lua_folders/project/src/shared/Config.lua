return {
	Speed = 16,
}
